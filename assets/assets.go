// Package assets holds lashview's bundled files: the application icon.
package assets

import _ "embed"

// IconPNG is the application icon, 512×512 PNG: four thumbnails on a
// rounded tile.
//
//go:embed icon.png
var IconPNG []byte
