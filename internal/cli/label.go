package cli

import "flag"

var labelCommand = &command{
	name:  "label",
	usage: "[--store DIR] ID LABEL",
	help:  "set an attachment's label",
	args:  argSpec{min: 2, max: 2, wrong: "name an attachment id and the new label", ids: 1},
	flags: func(*flag.FlagSet) action { return action{run: runLabel} },
}

func runLabel(c *call) int {
	if _, err := c.store.SetLabel(c.ctx(), c.ids[0], c.args[1]); err != nil {
		return c.fail(err)
	}
	return exitOK
}
