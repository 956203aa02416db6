#!/usr/bin/env python3
"""Closes a window as a window manager's close button does.

usage: close.py WINDOW_ID

Sends the window a WM_PROTOCOLS client message with WM_DELETE_WINDOW, which
is what a window manager sends when a person clicks the close button. With
no window manager running (under a bare Xvfb) this is the only polite way to
close a window: `xdotool windowkill` cuts the client's X connection instead.
Exit status 1 when the window does not take WM_DELETE_WINDOW.
"""

import sys

from Xlib import X, Xatom, display
from Xlib.protocol import event


def main():
    if len(sys.argv) != 2:
        print("usage: close.py WINDOW_ID", file=sys.stderr)
        return 2
    d = display.Display()
    win = d.create_resource_object("window", int(sys.argv[1], 0))
    protocols = d.intern_atom("WM_PROTOCOLS")
    delete = d.intern_atom("WM_DELETE_WINDOW")
    prop = win.get_full_property(protocols, Xatom.ATOM)
    if prop is None or delete not in prop.value:
        print("close.py: window 0x%x does not take WM_DELETE_WINDOW" % win.id, file=sys.stderr)
        return 1
    ev = event.ClientMessage(window=win, client_type=protocols, data=(32, [delete, X.CurrentTime, 0, 0, 0]))
    win.send_event(ev, event_mask=X.NoEventMask)
    # A round trip, not just a flush: the server has then handled the
    # request (and reported any error) before the connection closes.
    d.sync()
    d.close()
    return 0


if __name__ == "__main__":
    sys.exit(main())
