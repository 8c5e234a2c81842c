"""Start a Pulumi provider plugin inside the planner's sandbox and make its gRPC port reachable.

Run by :mod:`.provider_process` with sahab's interpreter inside the program's sandbox (its own
network namespace, where nothing leaves and sahab cannot reach the plugin's loopback), in two
steps. Standard library only.

``plugin_host.py prepare [--bind FOLDER TARGET] -- COMMAND...`` runs first, with the namespaces'
privileges, before the filesystem is locked (:func:`..sandbox.program_isolation` ``prepare``):

- brings the namespace's loopback up (a fresh network namespace has it down): a provider plugin
  listens on ``127.0.0.1:<port>`` (the plugin protocol) and nowhere else;
- binds the plugin's FOLDER onto TARGET, an empty folder sahab made beside the scratch folder:
  the lock then makes it read-only, and it stays readable when the lock hides ``~/.pulumi``
  (Pulumi's access token lives there, and so do its plugins);
- executes COMMAND (the lock, then the second step). Any failure: one ``sahab plugin:`` line, exit 125.

``plugin_host.py relay SOCKET PLUGIN ARGS...`` then runs on the locked filesystem, without capabilities:

- Starts the plugin as the engine does (its engine address as the argument) and reads its first
  stdout line, the port. Without one it says why (``sahab plugin: ...``) and exits 1.
- Then binds SOCKET, a Unix socket in the run's scratch folder (files cross network namespaces),
  and relays each connection to the plugin's port, byte for byte: sahab speaks gRPC to the plugin
  through it. The socket appears only once the port is known, so sahab waits for the file.
- Ends with the plugin's exit code when the plugin ends; the supervisor kills both otherwise.
"""
import ctypes
import fcntl
import os
import socket
import struct
import subprocess
import sys
import threading

SIOCGIFFLAGS = 0x8913
SIOCSIFFLAGS = 0x8914
IFF_UP = 0x1
FAILED = 125
MS_BIND, MS_REC = 4096, 16384


def prepare(argv):
    """Loopback up, the plugin's folder bound, then exec what follows ``--``."""
    separator = argv.index("--") if "--" in argv else -1
    options, command = argv[:separator], argv[separator + 1:]
    if separator < 0 or not command or not (options == [] or (len(options) == 3 and options[0] == "--bind")):
        say("usage: plugin_host.py prepare [--bind FOLDER TARGET] -- COMMAND...")
        return FAILED
    try:
        loopback_up()
        if options:
            libc = ctypes.CDLL(None, use_errno=True)
            if libc.mount(os.fsencode(options[1]), os.fsencode(options[2]), None, MS_BIND | MS_REC, None) != 0:
                raise OSError(ctypes.get_errno(), "bind %s: %s" % (options[1], os.strerror(ctypes.get_errno())))
        os.execvp(command[0], command)
    except OSError as exc:
        say("cannot prepare the sandbox for the plugin: %s" % (exc.strerror or exc))
    return FAILED


def loopback_up():
    """Bring ``lo`` up if it is down (OSError if the namespace does not allow it)."""
    probe = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    try:
        request = struct.pack("16sH22x", b"lo", 0)
        flags = struct.unpack("16sH22x", fcntl.ioctl(probe, SIOCGIFFLAGS, request))[1]
        if not flags & IFF_UP:
            fcntl.ioctl(probe, SIOCSIFFLAGS, struct.pack("16sH22x", b"lo", flags | IFF_UP))
    finally:
        probe.close()


def say(message):
    sys.stderr.write("sahab plugin: %s\n" % message)
    sys.stderr.flush()


def pump(source, target):
    try:
        while True:
            data = source.recv(65536)
            if not data:
                break
            target.sendall(data)
    except OSError:
        pass
    for end in (source, target):
        try:
            end.shutdown(socket.SHUT_RDWR)
        except OSError:
            pass


def relay(client, port):
    try:
        upstream = socket.create_connection(("127.0.0.1", port))
    except OSError as exc:
        say("cannot connect to the plugin's port %d: %s" % (port, exc.strerror))
        client.close()
        return
    threading.Thread(target=pump, args=(upstream, client), daemon=True).start()
    pump(client, upstream)


def forward(stream):
    """The plugin's stdout after the port goes to ours (the plan's output for a failure's reason)."""
    for line in iter(stream.readline, b""):
        sys.stderr.buffer.write(line)
        sys.stderr.flush()


def relay_plugin(socket_path, command):
    """Start the plugin, read its port, relay SOCKET to it until it ends."""
    name = os.path.basename(command[0])
    plugin = subprocess.Popen(command, stdin=subprocess.DEVNULL, stdout=subprocess.PIPE)
    first = plugin.stdout.readline().decode("utf-8", "replace").strip()
    if not first.isdigit() or not 0 < int(first) < 65536:  # as the engine does: the plugin is stopped
        say(refused(plugin, name, first))
        return 1
    port = int(first)
    threading.Thread(target=forward, args=(plugin.stdout,), daemon=True).start()
    listener = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    listener.bind(socket_path + ".new")
    listener.listen(16)
    os.rename(socket_path + ".new", socket_path)  # the path appears once connections are accepted
    threading.Thread(target=lambda: serve(listener, port), daemon=True).start()
    code = plugin.wait()
    say("%s exited with code %d" % (name, code))
    return code


def refused(plugin, name, first):
    """Why ``plugin`` gave no port (its first line was ``first``), once it has ended or been killed."""
    if first:
        plugin.kill()
        plugin.wait()
        return "%s printed %r where the plugin protocol expects its port" % (name, first[:80])
    try:
        return "%s exited with code %d before printing its port" % (name, plugin.wait(5))
    except subprocess.TimeoutExpired:
        plugin.kill()
        plugin.wait()
        return "%s closed its output without printing its port" % name


def serve(listener, port):
    while True:
        client, _ = listener.accept()
        threading.Thread(target=relay, args=(client, port), daemon=True).start()


def main(argv):
    if argv[:1] == ["prepare"]:
        return prepare(argv[1:])
    if argv[:1] == ["relay"] and len(argv) >= 3:
        return relay_plugin(argv[1], argv[2:])
    say("usage: plugin_host.py prepare|relay ...")
    return FAILED


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
