"""Scale-out: nginx balancing three httpkit-echo processes while wrk drives it and the three are
restarted one by one (SIGTERM, wait, start again). No request may fail; every process exits 0.
The same again with the upstreams on Unix sockets. Bounded: about 30 s in all."""

from __future__ import annotations

import json
import os
import re
import shutil
import signal
import socket
import subprocess
import tempfile
import time
import unittest

ECHO = os.environ.get("HTTPKIT_ECHO")
NGINX = shutil.which("nginx") or ("/usr/sbin/nginx" if os.path.exists("/usr/sbin/nginx") else None)
WRK = shutil.which("wrk")


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def wait_until(check, what: str, timeout: float = 10) -> None:
    deadline = time.monotonic() + timeout
    while not check():
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out waiting for {what}")
        time.sleep(0.02)


def tcp_open(port: int) -> bool:
    try:
        socket.create_connection(("127.0.0.1", port), timeout=0.5).close()
        return True
    except OSError:
        return False


def unix_open(path: str) -> bool:
    try:
        with socket.socket(socket.AF_UNIX) as s:
            s.connect(path)
        return True
    except OSError:
        return False


def wrk_summary(out: str) -> dict:
    requests = int(re.search(r"(\d+) requests in", out).group(1))
    errors = 0
    if m := re.search(r"Socket errors: connect (\d+), read (\d+), write (\d+), timeout (\d+)", out):
        errors += sum(int(x) for x in m.groups())
    non_2xx = int(m.group(1)) if (m := re.search(r"Non-2xx or 3xx responses: (\d+)", out)) else 0
    p99 = re.search(r"99%\s+([\d.]+)(us|ms|s)", out)
    scale = {"us": 0.001, "ms": 1, "s": 1000}[p99.group(2)]
    return {"requests": requests, "errors": errors, "non_2xx": non_2xx, "p99_ms": float(p99.group(1)) * scale}


def children(pid: int) -> list[int]:
    """The processes whose parent is `pid`."""
    found = []
    for entry in os.listdir("/proc"):
        if entry.isdigit():
            try:
                with open(f"/proc/{entry}/stat") as f:
                    if int(f.read().rsplit(")", 1)[1].split()[1]) == pid:
                        found.append(int(entry))
            except (OSError, IndexError, ValueError):
                pass
    return found


def running(pid: int) -> bool:
    """Whether `pid` is a process that has not exited (a zombie has)."""
    try:
        with open(f"/proc/{pid}/stat") as f:
            return f.read().rsplit(")", 1)[1].split()[0] != "Z"
    except OSError:
        return False


@unittest.skipUnless(ECHO and NGINX and WRK, "needs httpkit-echo, nginx and wrk")
class ScaleOutTest(unittest.TestCase):
    def setUp(self):
        self.dir = tempfile.TemporaryDirectory(prefix="httpkit-scale-")
        self.addCleanup(self.dir.cleanup)
        os.chmod(self.dir.name, 0o755)
        self.processes: list[subprocess.Popen] = []

    def tearDown(self):
        # Each process is asked to stop (SIGTERM); nginx's master then stops its workers. Killed,
        # the master left them running, orphaned, after the test.
        workers = [w for p in self.processes if p.args[0] == NGINX and p.poll() is None for w in children(p.pid)]
        for p in self.processes:
            if p.poll() is None:
                p.terminate()
        for p in self.processes:
            try:
                p.wait(timeout=15)
            except subprocess.TimeoutExpired:
                p.kill()
                p.wait()
        deadline = time.monotonic() + 10
        while any(map(running, workers)) and time.monotonic() < deadline:
            time.sleep(0.05)
        self.assertEqual([w for w in workers if running(w)], [], "nginx workers outlived their master")

    def start_echo(self, where: str) -> subprocess.Popen:
        # nginx reaches the TCP upstreams from 127.0.0.2 (proxy_bind), and is the only peer
        # trusted: the clients, on 127.0.0.1, are not.
        args = ["--unix", where, "--trusted-proxy", "unix:"] if where.startswith("/") else [where, "--trusted-proxy", "127.0.0.2"]
        process = subprocess.Popen([ECHO, *args, "--threads", "1"], stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True)
        self.processes.append(process)
        if where.startswith("/"):
            os.chmod(self.dir.name, 0o755)
            wait_until(lambda: unix_open(where), f"httpkit-echo on {where}")
            os.chmod(where, 0o666)  # nginx's workers run as another user
        else:
            wait_until(lambda: tcp_open(int(where)), f"httpkit-echo on {where}")
        return process

    def start_nginx(self, upstreams: list[str]) -> int:
        port = free_port()
        servers = "\n".join(f"        server {'unix:' + u if u.startswith('/') else '127.0.0.1:' + u} max_fails=0;"
                            for u in upstreams)
        conf = os.path.join(self.dir.name, "nginx.conf")
        with open(conf, "w") as f:
            f.write(f"""
worker_processes 1;
daemon off;
pid {self.dir.name}/nginx.pid;
error_log {self.dir.name}/nginx-error.log;
events {{ worker_connections 4096; }}
http {{
    access_log off;
    upstream echo {{
{servers}
        keepalive 32;
    }}
    server {{
        listen 127.0.0.1:{port};
        location / {{
            proxy_pass http://echo;
            {"" if upstreams[0].startswith("/") else "proxy_bind 127.0.0.2;"}
            proxy_http_version 1.1;
            proxy_set_header Connection "";
            proxy_set_header X-Forwarded-For $proxy_add_x_forwarded_for;
            proxy_next_upstream error timeout http_502 http_503;
            proxy_next_upstream_tries 3;
        }}
    }}
}}
""")
        nginx = subprocess.Popen([NGINX, "-c", conf, "-p", self.dir.name], stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        self.processes.append(nginx)
        wait_until(lambda: tcp_open(port), "nginx")
        return port

    def wrk(self, port: int, seconds: int) -> subprocess.Popen:
        return subprocess.Popen([WRK, "-t1", "-c64", f"-d{seconds}s", "--latency", "--timeout", "5s",
                                 f"http://127.0.0.1:{port}/plaintext"], stdout=subprocess.PIPE, text=True)

    def rolling_restart(self, upstreams: list[str]) -> None:
        echoes = [self.start_echo(u) for u in upstreams]
        port = self.start_nginx(upstreams)

        # The client's address reaches the application through nginx's X-Forwarded-For (the
        # application's peer is nginx: 127.0.0.2, or "unix:"); what the client claims is not believed.
        for claim in ([], ["-H", "X-Forwarded-For: 203.0.113.50"]):
            out = subprocess.run(["curl", "-s", *claim, f"http://127.0.0.1:{port}/who"],
                                 capture_output=True, text=True, check=True).stdout
            self.assertEqual(json.loads(out)["ip"], "127.0.0.1", out)

        steady = wrk_summary(self.wrk(port, 3).communicate(timeout=60)[0])
        load = self.wrk(port, 10)
        time.sleep(1)
        exit_codes = []
        for i, where in enumerate(upstreams):
            echoes[i].send_signal(signal.SIGTERM)
            _, err = echoes[i].communicate(timeout=40)
            exit_codes.append(echoes[i].returncode)
            echoes[i] = self.start_echo(where)
            time.sleep(1.5)
        restarting = wrk_summary(load.communicate(timeout=60)[0])
        for echo in echoes:
            echo.send_signal(signal.SIGTERM)
            echo.communicate(timeout=40)
            exit_codes.append(echo.returncode)

        print(f"\n{'unix' if upstreams[0].startswith('/') else 'tcp'} upstreams: steady {steady}, during restarts {restarting}")
        self.assertEqual(exit_codes, [0] * 6)
        self.assertGreater(restarting["requests"], 1000)
        self.assertEqual(restarting["errors"], 0)
        self.assertEqual(restarting["non_2xx"], 0)
        self.assertEqual(steady["errors"] + steady["non_2xx"], 0)

    def test_rolling_restart_over_tcp(self):
        self.rolling_restart([str(free_port()) for _ in range(3)])

    def test_rolling_restart_over_unix_sockets(self):
        self.rolling_restart([os.path.join(self.dir.name, f"echo{i}.sock") for i in range(3)])


if __name__ == "__main__":
    unittest.main()
