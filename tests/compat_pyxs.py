"""pyxs (Debian's python3-pyxs) against a xenstore daemon, printing TAP.

Usage: /usr/bin/python3 compat_pyxs.py SOCKET [EXTRA]

EXTRA is a number of tests the caller prints after these, counted in the
plan.

Reads, writes, mkdir, list, exists, permissions, watches (initial and
change events), transactions (commit, rollback, conflict),
get_domain_path and is_domain_introduced. Expected answers are those of
Xen's C xenstored 4.17. Exits 1 if any test failed.
"""
import errno
import signal
import sys

sys.path.insert(0, "/usr/lib/python3/dist-packages")
try:
    import pyxs
    from pyxs._internal import Op
except ImportError as exc:
    print("Bail out! pyxs not found (Debian package python3-pyxs): %s" % exc)
    sys.exit(1)

TIMEOUT = 10          # seconds any one test may take
BASE = b"/compat-pyxs"


class Timeout(Exception):
    """A test waited too long (for a watch event, most likely)."""


def on_alarm(signum, frame):
    raise Timeout("no answer within %d s" % TIMEOUT)


class Tap:
    """Numbered TAP lines and a failure count."""

    def __init__(self, tests, extra):
        self.tests = tests
        self.count = 0
        self.failed = 0
        print("1..%d" % (len(tests) + extra))

    def run(self):
        for name, fn in self.tests:
            self.count += 1
            signal.alarm(TIMEOUT)
            try:
                fn()
            except Exception as exc:  # any failure is reported, not raised
                signal.alarm(0)
                self.failed += 1
                print("not ok %d - %s" % (self.count, name))
                print("# %s: %r" % (type(exc).__name__, exc))
                continue
            signal.alarm(0)
            print("ok %d - %s" % (self.count, name))
        sys.stdout.flush()
        return 1 if self.failed else 0


def expect(got, want):
    if got != want:
        raise AssertionError("got %r, want %r" % (got, want))


def expect_error(err, fn, *args):
    try:
        r = fn(*args)
    except pyxs.PyXSError as exc:
        expect(exc.args[0], err)
        return
    raise AssertionError("no error (%s expected), answer %r"
                         % (errno.errorcode[err], r))


def path(*parts):
    return b"/".join((BASE,) + parts)


def next_event(events):
    ev = next(events)
    return (ev.path, ev.token)


def main():
    sock = sys.argv[1]
    extra = int(sys.argv[2]) if len(sys.argv) > 2 else 0
    c = pyxs.Client(unix_socket_path=sock)
    c.connect()
    other = pyxs.Client(unix_socket_path=sock)
    other.connect()

    def t_write_read():
        c.write(path(b"a"), b"hello")
        expect(c.read(path(b"a")), b"hello")
        c[path(b"a")] = b"again"
        expect(c[path(b"a")], b"again")

    def t_write_empty():
        c.write(path(b"empty"), b"")
        expect(c.read(path(b"empty")), b"")

    def t_write_large():
        value = b"x" * 4000
        c.write(path(b"large"), value)
        expect(c.read(path(b"large")), value)

    def t_read_missing():
        expect_error(errno.ENOENT, c.read, path(b"missing"))
        expect(c.read(path(b"missing"), b"dflt"), b"dflt")

    def t_mkdir():
        c.mkdir(path(b"d", b"e"))
        expect(c.read(path(b"d")), b"")
        expect(c.read(path(b"d", b"e")), b"")
        c.mkdir(path(b"a"))          # existing: value kept
        expect(c.read(path(b"a")), b"again")

    def t_list():
        c.write(path(b"l", b"x"), b"1")
        c.write(path(b"l", b"y"), b"2")
        c.mkdir(path(b"l", b"z"))
        expect(sorted(c.list(path(b"l"))), [b"x", b"y", b"z"])
        expect(c.list(path(b"l", b"x")), [])
        expect_error(errno.ENOENT, c.list, path(b"l", b"nope"))

    def t_exists():
        expect(c.exists(path(b"l", b"x")), True)
        expect(c.exists(path(b"l", b"nope")), False)

    def t_walk():
        got = sorted((p, v, sorted(ch)) for p, v, ch in c.walk(path(b"l")))
        expect(got, [(path(b"l"), b"", [b"x", b"y", b"z"]),
                     (path(b"l", b"x"), b"1", []),
                     (path(b"l", b"y"), b"2", []),
                     (path(b"l", b"z"), b"", [])])

    def t_delete():
        c.delete(path(b"l"))
        expect(c.exists(path(b"l")), False)
        expect(c.exists(path(b"l", b"x")), False)
        c.delete(path(b"l"))         # missing node: not an error
        expect_error(errno.ENOENT, c.delete, path(b"l", b"x", b"y"))

    def t_perms():
        expect(c.get_perms(path(b"a")), [b"n0"])
        c.set_perms(path(b"a"), [b"n0", b"r1", b"w2", b"b3"])
        expect(c.get_perms(path(b"a")), [b"n0", b"r1", b"w2", b"b3"])
        c.set_perms(path(b"a"), [b"r5"])
        expect(c.get_perms(path(b"a")), [b"r5"])
        expect_error(errno.ENOENT, c.get_perms, path(b"missing"))

    def t_watch():
        with c.monitor() as m:
            m.watch(path(b"w"), b"tok1")
            events = m.wait()
            expect(next_event(events), (path(b"w"), b"tok1"))
            other.write(path(b"w", b"x"), b"1")
            expect(next_event(events), (path(b"w", b"x"), b"tok1"))
            other.write(path(b"w"), b"2")
            expect(next_event(events), (path(b"w"), b"tok1"))
            other.set_perms(path(b"w"), [b"n0", b"r1"])
            expect(next_event(events), (path(b"w"), b"tok1"))
            other.delete(path(b"w"))
            expect(next_event(events), (path(b"w"), b"tok1"))
            m.unwatch(path(b"w"), b"tok1")

    def t_watch_removed_descendant():
        other.write(path(b"r", b"a", b"b"), b"1")
        with c.monitor() as m:
            m.watch(path(b"r", b"a", b"b"), b"tok2")
            events = m.wait()
            expect(next_event(events), (path(b"r", b"a", b"b"), b"tok2"))
            other.delete(path(b"r"))
            expect(next_event(events), (path(b"r", b"a", b"b"), b"tok2"))

    def t_watch_two_tokens():
        with c.monitor() as m:
            m.watch(path(b"two"), b"ta")
            m.watch(path(b"two"), b"tb")
            events = m.wait()
            first = sorted([next_event(events), next_event(events)])
            expect(first, [(path(b"two"), b"ta"), (path(b"two"), b"tb")])
            other.write(path(b"two"), b"v")
            got = sorted([next_event(events), next_event(events)])
            expect(got, [(path(b"two"), b"ta"), (path(b"two"), b"tb")])

    def t_unwatch_unknown():
        expect_error(errno.ENOENT, c.ack, Op.UNWATCH,
                     path(b"nowatch") + b"\0", b"tok\0")

    def t_txn_commit():
        c.transaction()
        c.write(path(b"t", b"x"), b"1")
        expect(c.read(path(b"t", b"x")), b"1")
        expect(other.exists(path(b"t", b"x")), False)
        expect(c.commit(), True)
        expect(other.read(path(b"t", b"x")), b"1")

    def t_txn_rollback():
        c.transaction()
        c.write(path(b"t", b"y"), b"1")
        c.rollback()
        expect(c.exists(path(b"t", b"y")), False)

    def t_txn_conflict():
        c.write(path(b"t", b"n"), b"0")
        c.transaction()
        v = int(c.read(path(b"t", b"n")))
        other.write(path(b"t", b"n"), b"10")
        c.write(path(b"t", b"n"), str(v + 1).encode())
        expect(c.commit(), False)
        expect(other.read(path(b"t", b"n")), b"10")
        # retried, it goes through
        c.transaction()
        v = int(c.read(path(b"t", b"n")))
        c.write(path(b"t", b"n"), str(v + 1).encode())
        expect(c.commit(), True)
        expect(other.read(path(b"t", b"n")), b"11")

    def t_txn_no_conflict():
        c.transaction()
        c.read(path(b"t", b"x"))
        other.write(path(b"t", b"unrelated"), b"1")
        c.write(path(b"t", b"x"), b"2")
        expect(c.commit(), True)
        expect(other.read(path(b"t", b"x")), b"2")

    def t_txn_watch_on_commit():
        other.mkdir(path(b"tw"))
        other.write(path(b"twm"), b"0")
        with other.monitor() as m:
            m.watch(path(b"tw"), b"tok3")
            m.watch(path(b"twm"), b"tok4")
            events = m.wait()
            first = sorted([next_event(events), next_event(events)])
            expect(first, [(path(b"tw"), b"tok3"), (path(b"twm"), b"tok4")])
            c.transaction()
            c.write(path(b"tw", b"in-txn"), b"1")
            # a write outside the transaction is the first event seen:
            # the transaction's write fires only once committed
            other.write(path(b"twm"), b"1")
            expect(next_event(events), (path(b"twm"), b"tok4"))
            expect(c.commit(), True)
            expect(next_event(events), (path(b"tw", b"in-txn"), b"tok3"))

    def t_domain_path():
        expect(c.get_domain_path(0), b"/local/domain/0")
        expect(c.get_domain_path(5), b"/local/domain/5")

    def t_is_domain_introduced():
        expect(c.is_domain_introduced(0), True)
        expect(c.is_domain_introduced(7), False)

    def t_bad_path():
        expect_error(errno.EINVAL, c.execute_command, Op.READ,
                     path(b"bad/") + b"\0")

    def t_cleanup():
        c.delete(BASE)
        expect(c.exists(BASE), False)

    tests = [
        ("write and read", t_write_read),
        ("write an empty value", t_write_empty),
        ("write and read 4000 bytes", t_write_large),
        ("read a missing node: ENOENT, or the default", t_read_missing),
        ("mkdir creates parents and keeps values", t_mkdir),
        ("list children", t_list),
        ("exists", t_exists),
        ("walk a subtree", t_walk),
        ("delete a subtree", t_delete),
        ("set and get permissions", t_perms),
        ("watch: initial, write, write, perms, rm", t_watch),
        ("watch on a node removed with its parent",
         t_watch_removed_descendant),
        ("two watches on one path", t_watch_two_tokens),
        ("unwatch of an unknown watch: ENOENT", t_unwatch_unknown),
        ("transaction commit", t_txn_commit),
        ("transaction rollback", t_txn_rollback),
        ("transaction conflict: EAGAIN, then retry", t_txn_conflict),
        ("transaction without conflict commits", t_txn_no_conflict),
        ("a transaction's writes fire on commit", t_txn_watch_on_commit),
        ("get_domain_path", t_domain_path),
        ("is_domain_introduced", t_is_domain_introduced),
        ("bad path: EINVAL", t_bad_path),
        ("remove the test tree", t_cleanup),
    ]
    signal.signal(signal.SIGALRM, on_alarm)
    try:
        c.delete(BASE)
    except pyxs.PyXSError as exc:
        print("Bail out! cannot clear %r: %r" % (BASE, exc))
        return 1
    status = Tap(tests, extra).run()
    other.close()
    c.close()
    return status


if __name__ == "__main__":
    sys.exit(main())
