package ui

import (
	"fyne.io/fyne/v2"

	"lashview/assets"
)

// Icon is lashview's application icon.
var Icon fyne.Resource = fyne.NewStaticResource("lashview.png", assets.IconPNG)
