package main

func runWindow(args []string, env *cliEnv) int {
	fs, dir := newFlags("", env)
	if _, ok := parseFlags(fs, args); !ok {
		return exitUsage
	}
	_ = dir
	return exitOK
}
