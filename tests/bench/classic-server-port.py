# SPDX-License-Identifier: GPL-3.0-or-later
# Runs the assignment's server.py, unchanged, on 127.0.0.1 and another UDP
# port than its fixed 10080 (0: any free port), so that benchmarks can run
# beside other programs on the same host. Prints the port to stderr.
#   python3 classic-server-port.py PATH/TO/server.py PORT
import runpy
import socket
import sys

path = sys.argv[1]
port = int(sys.argv[2])
original_bind = socket.socket.bind


def bind(self, address):
    if isinstance(address, tuple) and address[1] == 10080:
        original_bind(self, ("127.0.0.1", port))
        print("server.py listening on UDP port", self.getsockname()[1],
              file=sys.stderr, flush=True)
    else:
        original_bind(self, address)


socket.socket.bind = bind
sys.argv = [path]
runpy.run_path(path, run_name="__main__")
