#!/usr/bin/env python3
"""A real NOTIFY_SOCKET receiver for the tests: an AF_UNIX SOCK_DGRAM socket with
SO_PASSCRED, like the one systemd's manager listens on.

Usage: notify-receiver.py ADDRESS [--barrier close|hold|delay:MS] [--drain] [--stalled]
  ADDRESS   /path or @abstract
  --barrier what to do with the fd of a BARRIER=1 message: close it after
            reading (default, like the manager), hold it forever, or close it
            after MS milliseconds
  --drain   print nothing per datagram; print {"count": N} when a datagram
            is exactly b"SYNC=1\\n" (for the benchmark)
  --stalled read nothing until SIGUSR2: a receiver whose queue fills up
            (net.unix.max_dgram_qlen datagrams) and stays full meanwhile

Prints {"ready": ADDRESS} once bound, then one JSON line per datagram:
  {"data": base64 bytes, "text": latin1 text, "pid", "uid", "gid",
   "fds": [{"type": "socket"|"fifo"|"file"|"other", "family", "sotype",
            "address", "port", "path", "content" (base64, files), "seals"}]}
"""
import array
import base64
import fcntl
import json
import os
import socket
import stat
import struct
import signal
import sys
import threading
import time

MAX_FDS = 253


def describe_fd(fd):
    mode = os.fstat(fd).st_mode
    if stat.S_ISFIFO(mode):
        return {"type": "fifo"}
    if stat.S_ISREG(mode):
        # A memfd (journald's way for large entries): its content and seals.
        # A file opened write-only has no content to show.
        info = {"type": "file"}
        try:
            info["content"] = base64.b64encode(os.pread(fd, os.fstat(fd).st_size, 0)).decode("ascii")
            info["seals"] = fcntl.fcntl(fd, fcntl.F_GET_SEALS)
        except OSError:
            pass
        return info
    if not stat.S_ISSOCK(mode):
        return {"type": "other"}
    s = socket.socket(fileno=os.dup(fd))
    try:
        info = {"type": "socket", "family": s.family.name, "sotype": s.type.name}
        name = s.getsockname()
        if s.family in (socket.AF_INET, socket.AF_INET6):
            info["address"], info["port"] = name[0], name[1]
        elif s.family == socket.AF_UNIX:
            if isinstance(name, bytes):
                name = "@" + name[1:].decode("latin1") if name[:1] == b"\0" else name.decode("latin1")
            info["path"] = name
        info["listening"] = s.getsockopt(socket.SOL_SOCKET, socket.SO_ACCEPTCONN) == 1
        return info
    finally:
        s.close()


def main():
    address = sys.argv[1]
    barrier_mode = "close"
    drain = False
    stalled = False
    args = sys.argv[2:]
    while args:
        arg = args.pop(0)
        if arg == "--barrier":
            barrier_mode = args.pop(0)
        elif arg == "--drain":
            drain = True
        elif arg == "--stalled":
            stalled = True
        else:
            raise SystemExit("unknown argument: " + arg)

    sock = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_PASSCRED, 1)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 1 << 20)
    sock.bind("\0" + address[1:] if address.startswith("@") else address)
    reading = threading.Event()
    signal.signal(signal.SIGUSR2, lambda *_: reading.set())
    print(json.dumps({"ready": address}), flush=True)
    if stalled:
        while not reading.wait(0.05):
            pass

    held = []  # fds kept open on purpose (--barrier hold)
    count = 0
    ancillary = socket.CMSG_SPACE(struct.calcsize("3i")) + socket.CMSG_SPACE(MAX_FDS * 4)
    while True:
        data, ancdata, _flags, _addr = sock.recvmsg(1 << 17, ancillary)
        count += 1
        fds = []
        pid = uid = gid = None
        for level, kind, payload in ancdata:
            if level == socket.SOL_SOCKET and kind == socket.SCM_RIGHTS:
                fds_array = array.array("i")
                fds_array.frombytes(payload[: len(payload) - len(payload) % fds_array.itemsize])
                fds.extend(fds_array)
            elif level == socket.SOL_SOCKET and kind == socket.SCM_CREDENTIALS:
                pid, uid, gid = struct.unpack("3i", payload[:12])
        if drain:
            for fd in fds:
                os.close(fd)
            if data == b"SYNC=1\n":
                print(json.dumps({"count": count}), flush=True)
            continue

        line = {
            "data": base64.b64encode(data).decode("ascii"),
            "text": data.decode("latin1"),
            "pid": pid,
            "uid": uid,
            "gid": gid,
            "fds": [describe_fd(fd) for fd in fds],
        }
        print(json.dumps(line), flush=True)

        if data == b"BARRIER=1\n" and barrier_mode != "close":
            if barrier_mode == "hold":
                held.extend(fds)
            else:
                delay = int(barrier_mode.split(":", 1)[1]) / 1000
                threading.Timer(delay, lambda fds=fds: [os.close(fd) for fd in fds]).start()
            continue
        for fd in fds:
            os.close(fd)


if __name__ == "__main__":
    try:
        main()
    except KeyboardInterrupt:
        pass
