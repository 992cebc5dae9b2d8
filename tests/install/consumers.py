#!/usr/bin/env python3
"""Builds programs against an installed httpkit the ways users do, outside CMake.

    consumers.py pkg-config PREFIX   the consumer programs, with `pkg-config --cflags --libs httpkit`
    consumers.py readme PREFIX       every ```cpp block of README.md, each a complete program, built
                                     with the README's own pkg-config line (no {fmt}), and the
                                     first (the taste) with HTTPKIT_NO_FMT too
    consumers.py deb BUILD_DIR       `cpack -G DEB`, then a find_package consumer against the
                                     unpacked package

Each program is compiled with g++ -std=c++20 -Wall -Wextra -Werror and linked; a failure prints
the compiler's words and exits 1.
"""

from __future__ import annotations

import os
import re
import shlex
import subprocess
import sys
import tempfile
from pathlib import Path

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent.parent
CXX = os.environ.get("CXX", "g++")
FLAGS = ["-std=c++20", "-Wall", "-Wextra", "-Werror"]

# What fmt::format of a Status needs, exactly as a user writes it: the formatter must link with
# only <http/status.hpp> included.
FMT_PROGRAM = """#include <http/status.hpp>
int main() { return fmt::format("{}", http::NOT_FOUND) == "404 Not Found" ? 0 : 1; }
"""


def pkg_config(prefix: Path, *args: str) -> list[str]:
    env = dict(os.environ)
    env["PKG_CONFIG_PATH"] = ":".join(str(p) for p in prefix.glob("lib*/**/pkgconfig"))
    out = subprocess.run(["pkg-config", *args], env=env, capture_output=True, text=True)
    if out.returncode != 0:
        sys.exit(f"pkg-config {' '.join(args)} failed: {out.stderr.strip()}")
    return shlex.split(out.stdout)


def build(source: Path, flags: list[str], run: bool, name: str) -> bool:
    binary = source.with_suffix("")
    command = [CXX, *FLAGS, str(source), "-o", str(binary), *flags]
    result = subprocess.run(command, capture_output=True, text=True)
    if result.returncode != 0:
        print(f"FAIL {name}: {' '.join(command)}\n{result.stderr}")
        return False
    if run:
        ran = subprocess.run([str(binary)], capture_output=True, text=True, timeout=60)
        if ran.returncode != 0:
            print(f"FAIL {name}: exited {ran.returncode}\n{ran.stdout}{ran.stderr}")
            return False
    print(f"ok   {name}")
    return True


def readme_programs() -> list[tuple[int, str]]:
    """(line number, code) of every ```cpp block in README.md."""
    text = (ROOT / "README.md").read_text()
    blocks = []
    for match in re.finditer(r"^```cpp\n(.*?)^```", text, re.S | re.M):
        blocks.append((text.count("\n", 0, match.start()) + 1, match.group(1)))
    return blocks


def check_pkg_config(prefix: Path, work: Path) -> bool:
    flags = pkg_config(prefix, "--cflags", "--libs", "httpkit")
    ok = True
    for name in ("main.cpp", "server_and_client.cpp"):
        source = work / name
        source.write_text((HERE / "consumer" / name).read_text())
        ok &= build(source, flags, run=True, name=f"consumer/{name}")
    fmt = work / "fmt_two_lines.cpp"
    fmt.write_text(FMT_PROGRAM)
    ok &= build(fmt, flags + pkg_config(prefix, "--libs", "fmt"), run=True, name="fmt::format of a Status")
    return ok


def readme_build_line() -> list[str] | None:
    """The pkg-config arguments of the README's line `g++ -std=c++20 app.cpp $(pkg-config ...) -o app`
    that has no {fmt} in it: the one its examples are said to build with."""
    for match in re.finditer(r"^g\+\+ -std=c\+\+20 app\.cpp \$\(pkg-config ([^)]*)\) -o app$", (ROOT / "README.md").read_text(),
                             re.M):
        arguments = shlex.split(match.group(1))
        if "fmt" not in arguments:
            return arguments
    return None


def check_readme(prefix: Path, work: Path) -> bool:
    blocks = readme_programs()
    if not blocks:
        print("FAIL README.md has no ```cpp block")
        return False
    arguments = readme_build_line()
    if arguments is None:
        print("FAIL README.md has no line `g++ -std=c++20 app.cpp $(pkg-config --cflags --libs httpkit) -o app`")
        return False
    flags = pkg_config(prefix, *arguments)
    ok = True
    for index, (line, code) in enumerate(blocks):
        source = work / f"readme_line_{line}.cpp"
        source.write_text(code)
        ok &= build(source, flags, run=index == 0, name=f"README.md line {line}")
        if index == 0:
            ok &= build(source, ["-DHTTPKIT_NO_FMT", *flags], run=True, name=f"README.md line {line}, HTTPKIT_NO_FMT")
    return ok


def check_deb(build_dir: Path, work: Path) -> bool:
    packaged = subprocess.run(["cpack", "-G", "DEB", "-B", str(work / "package")], cwd=build_dir,
                              capture_output=True, text=True)
    if packaged.returncode != 0:
        print(f"FAIL cpack -G DEB\n{packaged.stdout}{packaged.stderr}")
        return False
    debs = list((work / "package").glob("*.deb"))
    if len(debs) != 1:
        print(f"FAIL cpack made {len(debs)} .deb files")
        return False
    root = work / "root"
    subprocess.run(["dpkg-deb", "-x", str(debs[0]), str(root)], check=True)
    usr = root / "usr"
    configs = list(usr.glob("lib*/**/cmake/httpkit/httpkitConfig.cmake"))
    pcs = list(usr.glob("lib*/**/pkgconfig/httpkit.pc"))
    print(f"{'ok  ' if configs else 'FAIL'} the package has the CMake package")
    print(f"{'ok  ' if pcs else 'FAIL'} the package has httpkit.pc")
    if not configs or not pcs:
        return False
    consumer = subprocess.run(
        ["cmake", "-S", str(HERE / "consumer"), "-B", str(work / "consumer"), "-G", "Ninja",
         f"-DCMAKE_PREFIX_PATH={usr}", f"-DCMAKE_CXX_COMPILER={CXX}"], capture_output=True, text=True)
    if consumer.returncode == 0:
        consumer = subprocess.run(["cmake", "--build", str(work / "consumer")], capture_output=True, text=True)
    if consumer.returncode != 0:
        print(f"FAIL a find_package consumer against the package\n{consumer.stdout}{consumer.stderr}")
        return False
    print("ok   a find_package consumer builds and runs against the package")
    return True


def main() -> None:
    if len(sys.argv) != 3 or sys.argv[1] not in ("pkg-config", "readme", "deb"):
        sys.exit(__doc__)
    where = Path(sys.argv[2]).resolve()
    with tempfile.TemporaryDirectory(prefix="httpkit-consumers-") as tmp:
        work = Path(tmp)
        if sys.argv[1] == "pkg-config":
            ok = check_pkg_config(where, work)
        elif sys.argv[1] == "readme":
            ok = check_readme(where, work)
        else:
            ok = check_deb(where, work)
    sys.exit(0 if ok else 1)


if __name__ == "__main__":
    main()
