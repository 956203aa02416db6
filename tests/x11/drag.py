#!/usr/bin/env python3
"""A minimal XDND drag source: drags files onto a window as a file manager does.

usage: drag.py [--timeout S] X Y FILE...

X and Y are root-window coordinates of the drop point. The pointer is moved
there with XTest; the XDND-aware window under it (found by walking down from
the root, as a real source does) gets XdndEnter, XdndPosition (repeated,
nudged a pixel each time, until it answers XdndStatus with "accept"), and
XdndDrop; the source answers the target's request for text/uri-list with
file:// URIs and waits for XdndFinished.

Exit status 0 when the target reported the drop finished and accepted, 1 on
any failure (with the reason on stderr), 2 on a usage error. Every step is
logged on stderr so a failing test shows how far the drag got.
"""

import argparse
import os
import select
import sys
import time
import urllib.parse

from Xlib import X, Xatom, display, error
from Xlib.ext import xtest
from Xlib.protocol import event

XDND_VERSION = 5


def log(msg):
    print("drag.py: " + msg, file=sys.stderr, flush=True)


class Drag:
    def __init__(self, d, files):
        self.d = d
        self.root = d.screen().root
        a = lambda name: d.intern_atom(name)
        self.XdndAware = a("XdndAware")
        self.XdndSelection = a("XdndSelection")
        self.XdndEnter = a("XdndEnter")
        self.XdndPosition = a("XdndPosition")
        self.XdndStatus = a("XdndStatus")
        self.XdndLeave = a("XdndLeave")
        self.XdndDrop = a("XdndDrop")
        self.XdndFinished = a("XdndFinished")
        self.XdndActionCopy = a("XdndActionCopy")
        self.XdndTypeList = a("XdndTypeList")
        self.uri_list = a("text/uri-list")
        self.TARGETS = a("TARGETS")
        self.payload = "".join(
            "file://" + urllib.parse.quote(os.path.abspath(f)) + "\r\n" for f in files
        ).encode()
        self.src = self.root.create_window(
            -10, -10, 1, 1, 0, d.screen().root_depth,
            event_mask=X.PropertyChangeMask,
        )
        self.src.change_property(self.XdndAware, Xatom.ATOM, 32, [XDND_VERSION])
        self.src.change_property(self.XdndTypeList, Xatom.ATOM, 32, [self.uri_list])
        self.time = self.server_time()
        self.served = 0

    def server_time(self):
        """A real server timestamp (selection owners should not use CurrentTime)."""
        prop = self.d.intern_atom("_LASHVIEW_DRAG_TIME")
        self.src.change_property(prop, Xatom.STRING, 8, b"t")
        self.d.flush()
        deadline = time.monotonic() + 5
        while True:
            e = self.next_event(deadline)
            if e is None:
                return X.CurrentTime
            if e.type == X.PropertyNotify and e.atom == prop:
                return e.time

    def next_event(self, deadline):
        """The next event, or None once the monotonic deadline passes."""
        while True:
            if self.d.pending_events():
                return self.d.next_event()
            left = deadline - time.monotonic()
            if left <= 0:
                return None
            select.select([self.d.fileno()], [], [], min(left, 0.1))

    def send(self, target, msg_type, data):
        ev = event.ClientMessage(window=target, client_type=msg_type, data=(32, data))
        target.send_event(ev, event_mask=X.NoEventMask)
        self.d.flush()

    def serve(self, e):
        """Answers a SelectionRequest for XdndSelection."""
        prop = e.property or e.target  # obsolete clients send None
        ok = e.selection == self.XdndSelection
        if ok and e.target == self.uri_list:
            e.requestor.change_property(prop, self.uri_list, 8, self.payload)
            self.served += 1
            log("served text/uri-list (%d bytes) to 0x%x" % (len(self.payload), e.requestor.id))
        elif ok and e.target == self.TARGETS:
            e.requestor.change_property(prop, Xatom.ATOM, 32, [self.TARGETS, self.uri_list])
        else:
            log("refused a request for %s" % self.d.get_atom_name(e.target))
            prop = X.NONE
        reply = event.SelectionNotify(time=e.time, requestor=e.requestor, selection=e.selection,
                                      target=e.target, property=prop)
        e.requestor.send_event(reply)
        self.d.flush()

    def aware_window_at(self, x, y):
        """The deepest window under (x, y) with XdndAware, and its version."""
        w, found = self.root, None
        while True:
            prop = w.get_full_property(self.XdndAware, Xatom.ATOM)
            if prop is not None and len(prop.value) > 0:
                found = (w, prop.value[0])
            child = w.query_pointer().child
            if not child:
                return found if found else (None, 0)
            w = child

    def move(self, x, y):
        xtest.fake_input(self.d, X.MotionNotify, x=x, y=y)
        self.d.sync()

    def run(self, x, y, timeout):
        deadline = time.monotonic() + timeout
        self.src.set_selection_owner(self.XdndSelection, self.time)
        if self.d.get_selection_owner(self.XdndSelection) != self.src:
            log("could not own XdndSelection")
            return 1
        attempt = 0
        while time.monotonic() < deadline:
            attempt += 1
            if self.attempt(x + attempt % 5, y + attempt % 3, min(deadline, time.monotonic() + 20)):
                return 0
            time.sleep(0.5)
        log("gave up after %d attempts (%.0f s)" % (attempt, timeout))
        return 1

    def attempt(self, x, y, deadline):
        """One whole drag, from Enter to Finished. True when the target finished it."""
        self.move(x, y)
        target, version = self.aware_window_at(x, y)
        if target is None:
            log("no XdndAware window under (%d, %d) yet" % (x, y))
            return False
        log("target 0x%x (XDND version %d) at (%d, %d)" % (target.id, version, x, y))
        v = min(version, XDND_VERSION)
        self.send(target, self.XdndEnter, [self.src.id, v << 24, self.uri_list, 0, 0])
        accepted, position_sent = False, 0.0
        while not accepted:
            now = time.monotonic()
            if now >= deadline:
                log("no XdndStatus accepting the drop")
                self.send(target, self.XdndLeave, [self.src.id, 0, 0, 0, 0])
                return False
            if now - position_sent > 1.0:  # resend: the target may have been busy
                self.move(x, y)
                self.send(target, self.XdndPosition,
                          [self.src.id, 0, (x << 16) | y, self.time, self.XdndActionCopy])
                position_sent = now
            e = self.next_event(min(deadline, now + 0.2))
            if e is None:
                continue
            if e.type == X.ClientMessage and e.client_type == self.XdndStatus:
                accepted = e.data[1][1] & 1 == 1
                log("XdndStatus from 0x%x: %s" % (e.data[1][0], "accept" if accepted else "refuse"))
                if not accepted:
                    position_sent = 0.0
            elif e.type == X.SelectionRequest:
                self.serve(e)
        self.send(target, self.XdndDrop, [self.src.id, 0, self.time, 0, 0])
        log("sent XdndDrop")
        while True:
            e = self.next_event(deadline)
            if e is None:
                log("no XdndFinished (served the data %d times)" % self.served)
                return False
            if e.type == X.SelectionRequest:
                self.serve(e)
            elif e.type == X.ClientMessage and e.client_type == self.XdndFinished:
                # XDND 5 says bit 0 of l[1] is "accepted"; GLFW sends the
                # number of items it read from the selection there instead,
                # so any non-zero value is taken as accepted.
                ok = e.data[1][1] != 0
                log("XdndFinished: %s" % ("accepted" if ok else "refused"))
                return ok and self.served > 0


def main():
    p = argparse.ArgumentParser(description="Drag files onto the window at X, Y (root coordinates).")
    p.add_argument("--timeout", type=float, default=60)
    p.add_argument("x", type=int)
    p.add_argument("y", type=int)
    p.add_argument("files", nargs="+")
    args = p.parse_args()
    try:
        d = display.Display()
    except (error.DisplayError, error.DisplayConnectionError) as e:
        log("cannot open the display: %s" % e)
        return 1
    if not d.has_extension("XTEST"):
        log("the X server has no XTEST extension")
        return 1
    return Drag(d, args.files).run(args.x, args.y, args.timeout)


if __name__ == "__main__":
    sys.exit(main())
