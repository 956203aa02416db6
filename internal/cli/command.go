package cli

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io/fs"
	"os"
	"os/signal"

	"lashview/sessions"
	"lashview/store"
	"lashview/store/s3store"
)

// commands is every subcommand; help lists them by name. To add one, write
// a file with its *command (see ls.go for the smallest) and add it here.
var commands = []*command{
	lsCommand,
	putCommand,
	getCommand,
	labelCommand,
	rmCommand,
	restoreCommand,
	verifyCommand,
	doctorCommand,
	watchCommand,
	thumbsCommand,
	refsCommand,
	gcCommand,
	emptyTrashCommand,
}

// command is one subcommand. What every command does before its own work
// (flags with --store, the argument count, ids, the store) is exec's.
type command struct {
	name  string
	usage string // the arguments after the name, for help
	help  string // one line, for help
	args  argSpec
	// makesStore: the store folder need not exist, the command makes it
	// (put). Every other command fails when it is missing.
	makesStore bool
	// flags adds the command's own flags to fs and returns what runs once
	// they are parsed.
	flags func(fs *flag.FlagSet) action
}

// argSpec is what positional arguments a command takes.
type argSpec struct {
	min, max int // max < 0: no limit
	// wrong is the usage error for too few or too many; when empty, the
	// first argument past max is named as unexpected.
	wrong string
	// ids is how many leading arguments are attachment ids (< 0: all of
	// them): they are parsed before the store is opened, and a bad one
	// fails the command (exit 1).
	ids int
}

// action is a command's work, given its parsed flags.
type action struct {
	// check, when set, says what is wrong with the flags' values (a usage
	// error, found before the store is opened), or "".
	check func() string
	run   func(c *call) int
}

// call is one run of a command, past the preamble.
type call struct {
	env  *Env
	cmd  *command
	fs   *flag.FlagSet
	args []string   // the positional arguments
	ids  []store.ID // the leading args.ids of them, parsed
	// store is the store a command works on: a folder (store.Folder) or
	// an S3 bucket (--store s3://BUCKET/PREFIX).
	store store.Face
	// sessions is where lash's sessions are (--sessions, else beside the
	// store; a bucket has nothing beside it, so the zero Source, none,
	// unless --sessions or $LASH_POSTGRES_DATABASE_URL names them); index
	// reads them once, when a command asks.
	sessions sessions.Source
	ix       *sessions.Index
	ixErr    error
	ixRead   bool
}

// lookup returns the command called name, or nil.
func lookup(name string) *command {
	for _, c := range commands {
		if c.name == name {
			return c
		}
	}
	return nil
}

// exec is the preamble every command shares: it parses the flags (usage
// errors exit 2), checks the arguments, parses the ids, opens the store,
// then runs the command.
func (cmd *command) exec(args []string, env *Env) int {
	fs := flag.NewFlagSet("lashview "+cmd.name, flag.ContinueOnError)
	fs.SetOutput(env.Stderr)
	dir := fs.String("store", DefaultStore(), "the store: a `folder`, or s3://BUCKET/PREFIX for a bucket")
	sess := sessionsFlag(fs)
	fs.Usage = func() {
		fmt.Fprintf(env.Stderr, "usage: lashview %s %s\n", cmd.name, cmd.usage)
		fs.PrintDefaults()
	}
	act := cmd.flags(fs)
	pos, ok := parseFlags(fs, args)
	if !ok {
		return exitUsage
	}
	c := &call{env: env, cmd: cmd, fs: fs, args: pos}
	if n := len(pos); n < cmd.args.min || cmd.args.max >= 0 && n > cmd.args.max {
		if cmd.args.wrong == "" {
			return c.usageError("unexpected argument %q", pos[cmd.args.max])
		}
		return c.usageError("%s", cmd.args.wrong)
	}
	n := cmd.args.ids
	if n < 0 || n > len(pos) {
		n = len(pos)
	}
	c.ids = make([]store.ID, 0, n)
	for _, a := range pos[:n] {
		id, err := store.ParseID(a)
		if err != nil {
			return c.fail(err)
		}
		c.ids = append(c.ids, id)
	}
	if act.check != nil {
		if problem := act.check(); problem != "" {
			return c.usageError("%s", problem)
		}
	}
	bucket := s3store.IsURL(*dir)
	var src sessions.Source
	if bucket {
		src = sessions.LocateForBucket(*sess)
	} else {
		var err error
		if src, err = sessions.Locate(*sess, *dir); err != nil {
			return c.fail(err)
		}
	}
	c.sessions = src
	opt, unread := sessions.StoreOptions(src)
	if unread != nil {
		c.warn(unread)
	}
	switch {
	case bucket:
		if c.store, ok = openBucket(c, *dir, opt); !ok {
			return exitProblems
		}
	case cmd.makesStore:
		c.store = store.Folder(store.NewWith(*dir, opt))
	default:
		s, ok := openStore(c, *dir, opt)
		if !ok {
			return exitProblems
		}
		c.store = store.Folder(s)
	}
	return act.run(c)
}

// noSessions says where no sessions were found, and what to do about it.
func (c *call) noSessions() string {
	if c.sessions == (sessions.Source{}) {
		return "no lash sessions were named (a bucket has no sessions folder beside it: give --sessions postgres://… or a folder, or set $LASH_POSTGRES_DATABASE_URL)"
	}
	return fmt.Sprintf("there are no lash sessions at %s (name them with --sessions)", c.sessions)
}

// sessionsWhere names the sessions for a message.
func (c *call) sessionsWhere() string {
	if c.sessions == (sessions.Source{}) {
		return "(none named)"
	}
	return c.sessions.String()
}

// bucketScanWorkers is how many objects of a bucket a listing reads at
// once (a sidecar, a blob's first bytes): each read waits a network round
// trip, not the processor, so more than a folder's 8 keep the link busy.
const bucketScanWorkers = 32

// scanOptions is how the command lists its store.
func (c *call) scanOptions() store.ScanOptions {
	if _, ok := store.FolderOf(c.store); ok {
		return store.ScanOptions{}
	}
	return store.ScanOptions{Workers: bucketScanWorkers}
}

// ctx is the context of the preamble's and the quick commands' requests:
// Ctrl-C ends the process, as it always did.
func (c *call) ctx() context.Context { return context.Background() }

// sessionsFlag adds --sessions to fs.
func sessionsFlag(fs *flag.FlagSet) *string {
	return fs.String("sessions", "", "lash's session databases: a `folder` or a postgres:// URL (default: $LASH_POSTGRES_DATABASE_URL, else the sessions folder beside the store)")
}

// index reads lash's sessions once. A sessions folder that does not exist
// is no error: there are no sessions (found says which).
func (c *call) index() (ix *sessions.Index, found bool, err error) {
	if !c.ixRead {
		c.ixRead = true
		if c.sessions == (sessions.Source{}) {
			return nil, false, nil // a bucket without --sessions
		}
		ctx, stop := interruptible()
		defer stop()
		c.ix, c.ixErr = sessions.Open(ctx, c.sessions)
		if errors.Is(c.ixErr, fs.ErrNotExist) {
			c.ix, c.ixErr = nil, nil
		}
	}
	return c.ix, c.ix != nil, c.ixErr
}

// parseFlags parses args, allowing flags after positional arguments
// ("lashview put a.png --label x"). It returns false on a usage error,
// which it has reported.
func parseFlags(fs *flag.FlagSet, args []string) ([]string, bool) {
	var pos []string
	for {
		if err := fs.Parse(args); err != nil {
			return nil, false
		}
		args = fs.Args()
		if len(args) == 0 {
			return pos, true
		}
		if args[0] == "--" {
			return append(pos, args[1:]...), true
		}
		pos = append(pos, args[0])
		args = args[1:]
	}
}

// isSet reports whether the flag called name was given.
func isSet(fs *flag.FlagSet, name string) bool {
	set := false
	fs.Visit(func(f *flag.Flag) {
		if f.Name == name {
			set = true
		}
	})
	return set
}

// openStore returns the store at dir (store.Open's checks), or reports in
// words why there is none.
func openStore(c *call, dir string, opt store.Options) (*store.Store, bool) {
	s, err := store.Open(dir, opt)
	switch {
	case errors.Is(err, store.ErrNoStore):
		fmt.Fprintf(c.env.Stderr, "lashview %s: there is no store at %s (the folder does not exist)\n", c.cmd.name, dir)
	case errors.Is(err, store.ErrNotAFolder):
		fmt.Fprintf(c.env.Stderr, "lashview %s: %s is not a folder\n", c.cmd.name, dir)
	case err != nil:
		fmt.Fprintf(c.env.Stderr, "lashview %s: cannot open the store at %s: %v\n", c.cmd.name, dir, errors.Unwrap(err))
	default:
		return s, true
	}
	return nil, false
}

// openBucket returns the bucket store at url (s3://BUCKET/PREFIX), or
// reports in words why there is none: no such bucket, access denied, the
// endpoint cannot be reached, clock skew.
func openBucket(c *call, url string, opt store.Options) (store.Face, bool) {
	ctx, stop := interruptible()
	defer stop()
	objs, err := s3store.Open(ctx, url, opt)
	if err != nil {
		fmt.Fprintf(c.env.Stderr, "lashview %s: cannot open the store at %s: %v\n", c.cmd.name, url, err)
		return nil, false
	}
	return objs, true
}

// usageError reports a wrong call and returns the usage exit code.
func (c *call) usageError(format string, a ...any) int {
	fmt.Fprintf(c.env.Stderr, "lashview %s: %s\n", c.cmd.name, fmt.Sprintf(format, a...))
	fmt.Fprintf(c.env.Stderr, "usage: lashview %s %s\n", c.cmd.name, c.cmd.usage)
	return exitUsage
}

// fail reports an operation's error in words and returns exit code 1.
func (c *call) fail(err error) int {
	c.warn(err)
	return exitProblems
}

// failAll is fail for an error that may join several (errors.Join): one
// line each.
func (c *call) failAll(err error) int {
	c.warnAll(err)
	return exitProblems
}

// warnAll is warn for an error that may join several: one line each.
func (c *call) warnAll(err error) {
	errs := []error{err}
	if j, ok := err.(interface{ Unwrap() []error }); ok {
		errs = j.Unwrap()
	}
	for _, e := range errs {
		c.warn(e)
	}
}

// warn reports a problem on stderr, named after the command, and goes on.
func (c *call) warn(err error) {
	fmt.Fprintf(c.env.Stderr, "lashview %s: %v\n", c.cmd.name, err)
}

// interruptible returns a context cancelled by Ctrl-C, so a long verify or
// doctor stops between files rather than mid-rename.
func interruptible() (context.Context, func()) {
	return signal.NotifyContext(context.Background(), os.Interrupt)
}
