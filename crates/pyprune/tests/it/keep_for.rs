//! Issue 14, points 3 and 5: `apply --keep-for` proven on real programs.
//! A reduced copy of pyenv's 3.12 (the modules the programs need, and
//! others they never import: tkinter, sqlite3, unittest, pydoc, ...) is
//! pruned for an `argparse` + `json` + `http.server` + `urllib.request`
//! script (it serves on loopback and fetches from itself), an `asyncio`
//! script and a script importing a name it computes, in one result; and
//! for `python -m venv` (ensurepip and its bundled pip) in another. Then,
//! the copy moved out of reach, each program runs on its result with the
//! result's own interpreter and prints what it should; the result is
//! really smaller (what `du` says it saved, against the report's own
//! figure and a share of the input); the computed import is named by file
//! and line at apply, `--trace` kept what it loaded, and importing a removed
//! module raises the `ModuleNotFoundError` naming `--keep-for`. A venv of
//! the test wheels is pruned for a Django program (with `--trace`: Django
//! loads its database backend by a computed name), which runs on the
//! result, whose RECORDs stay true.

use crate::harness::{TestEnv, du_bytes, pyprune, stderr};
use crate::pythons::{find_or_note, reduced_copy};
use pyprune_steps::{StepName, error_message};
use serde_json::Value;
use std::path::Path;

/// Serves JSON on loopback with `http.server`, fetches it with `urllib.request`.
const SERVE: &str = r#"import argparse, json, threading, urllib.request
from http.server import BaseHTTPRequestHandler, HTTPServer

parser = argparse.ArgumentParser()
parser.add_argument("--greeting", default="hello")
args = parser.parse_args()


class Handler(BaseHTTPRequestHandler):
    def do_GET(self):
        body = json.dumps({"greeting": args.greeting, "path": self.path}).encode()
        self.send_response(200)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, *args):
        pass


server = HTTPServer(("127.0.0.1", 0), Handler)
threading.Thread(target=server.serve_forever, daemon=True).start()
url = "http://127.0.0.1:%d/ping" % server.server_address[1]
with urllib.request.urlopen(url, timeout=20) as response:
    print(json.loads(response.read())["greeting"], response.status)
server.shutdown()
"#;

/// An echo server and its client on loopback, and a gather.
const ASYNC: &str = r#"import asyncio


async def echo(reader, writer):
    writer.write((await reader.readline()).upper())
    await writer.drain()
    writer.close()


async def main():
    server = await asyncio.start_server(echo, "127.0.0.1", 0)
    port = server.sockets[0].getsockname()[1]
    reader, writer = await asyncio.open_connection("127.0.0.1", port)
    writer.write(b"ping\n")
    await writer.drain()
    line = (await reader.readline()).decode().strip()
    print(line, await asyncio.gather(*(asyncio.sleep(0, result=i) for i in range(3))))
    writer.close()
    server.close()
    await server.wait_closed()


asyncio.run(main())
"#;

/// The stdlib modules pip loads when ensurepip installs it (asked of pyenv's
/// 3.12 with `-X importtime`): the copy holds only what its imports load.
const PIP_NEEDS: &str = "__future__ _asyncio _bisect _blake2 _bz2 _contextvars _csv _datetime \
    _decimal _hashlib _heapq _json _lzma _opcode _pickle _posixsubprocess _queue _random _sha2 \
    _socket _ssl _uuid argparse array ast base64 binascii bisect bz2 calendar compileall \
    concurrent configparser contextlib csv dataclasses datetime decimal dis email fcntl filecmp \
    fnmatch fractions getpass gettext glob grp gzip hashlib hmac html http importlib inspect \
    ipaddress json locale logging lzma math mimetypes mmap optparse pathlib pickle pkgutil \
    platform plistlib pprint py_compile pyexpat queue quopri random runpy select selectors \
    shlex shutil socket socketserver ssl stringprep subprocess sysconfig tarfile tempfile \
    termios textwrap tokenize unicodedata urllib uuid xml xml.etree.ElementTree xmlrpc.client html.parser \
    zipfile zlib";

/// Imports a module named at run time: `colorsys` unless told otherwise.
const DYNAMIC: &str = r#"import importlib, sys
name = sys.argv[1] if len(sys.argv) > 1 else "colorsys"
module = importlib.import_module(name)
print(module.__name__)
"#;

/// The programs' stdlib, and modules they never import. (`http.server`
/// encodes the host name with the `idna` codec, which needs `unicodedata`:
/// the copy has only the extension modules these imports load.)
const WANTED: &[&str] = &[
    "encodings.idna",
    "argparse",
    "json",
    "http.server",
    "urllib.request",
    "asyncio",
    "colorsys",
    "venv",
    "ensurepip",
    "tkinter",
    "sqlite3",
    "unittest",
    "pydoc",
    "decimal",
    "xml.dom.minidom",
];

/// Runs `python ARGS` in `cwd` as a user would (site on, no inherited
/// `PYTHON*`): its status, stdout and stderr.
pub fn run(python: &Path, cwd: &Path, args: &[&str]) -> (bool, String, String) {
    let output = pyprune_python::clean_command(python.as_os_str())
        .args(args)
        .env("PYTHONDONTWRITEBYTECODE", "1")
        .current_dir(cwd)
        .output()
        .expect("python");
    let text = |b: &[u8]| String::from_utf8_lossy(b).trim().to_owned();
    (
        output.status.success(),
        text(&output.stdout),
        text(&output.stderr),
    )
}

/// `pyprune ARGS` in `cwd`, which must succeed: its JSON report and stderr.
fn pyprune_json(cwd: &Path, args: &[&std::ffi::OsStr]) -> (Value, String) {
    let output = pyprune()
        .args(args)
        .args(["--format", "json"])
        .current_dir(cwd)
        .output()
        .expect("pyprune");
    assert!(output.status.success(), "{args:?}: {}", stderr(&output));
    (
        serde_json::from_slice(&output.stdout).expect("JSON"),
        stderr(&output),
    )
}

fn names(list: &Value) -> Vec<String> {
    list.as_array()
        .expect("a list")
        .iter()
        .map(|v| v.as_str().expect("a name").to_owned())
        .collect()
}

/// What keep-for saved, as `du` sees it, held to the report's figure (the
/// runtime's few files and the rewritten list aside: within 2% of the
/// input) and to a `share` of `modules_du` (the input's bytes that are
/// modules and packages) at least.
fn assert_saved(input_du: u64, modules_du: u64, out: &Path, report: &Value, share: f64) {
    let out_du = du_bytes(out, false);
    let saved = input_du.saturating_sub(out_du);
    let said = report["keep_for"]["saved_bytes"]
        .as_u64()
        .expect("saved_bytes");
    let off = (saved as f64 - said as f64).abs() / input_du as f64;
    assert!(
        off < 0.02,
        "{}: du saw {saved} bytes saved, the report said {said}",
        out.display()
    );
    assert!(
        saved as f64 >= share * modules_du as f64,
        "{}: only {saved} of {modules_du} bytes saved",
        out.display()
    );
    eprintln!(
        "{}: {saved} of {modules_du} bytes saved ({:.0}%)",
        out.display(),
        saved as f64 * 100.0 / modules_du as f64
    );
}

#[test]
fn programs_run_on_the_stdlib_pruned_for_them() {
    let Some(installed) = find_or_note("3.12", "keep_for") else {
        return;
    };
    let env = TestEnv::new();
    let wanted: Vec<&str> = WANTED
        .iter()
        .copied()
        .chain(PIP_NEEDS.split_whitespace())
        .collect();
    let reduced = reduced_copy(&installed, &env.path().join("input"), &wanted);
    let input = &reduced.prefix;
    for (name, text) in [
        ("serve.py", SERVE),
        ("aio.py", ASYNC),
        ("dynamic.py", DYNAMIC),
    ] {
        env.write(name, text);
    }
    let input_du = du_bytes(input, false);
    // The stdlib less the build configuration (the static libpython), which
    // is no module: what keep-for chooses from.
    let config: Vec<_> = std::fs::read_dir(&reduced.stdlib)
        .expect("stdlib")
        .map(|e| e.expect("entry").path())
        .filter(|p| {
            p.file_name()
                .is_some_and(|n| n.to_string_lossy().starts_with("config-"))
        })
        .collect();
    let modules_du =
        du_bytes(&reduced.stdlib, false) - config.iter().map(|c| du_bytes(c, false)).sum::<u64>();

    // plan shows the cost first: without --trace, the computed import's
    // module is not known, and goes.
    let (plan, _) = pyprune_json(
        env.path(),
        &[
            "plan".as_ref(),
            input.as_os_str(),
            "--keep-for".as_ref(),
            "dynamic.py".as_ref(),
        ],
    );
    let row = plan["rows"]
        .as_array()
        .expect("rows")
        .iter()
        .find(|r| r["name"] == "keep-for")
        .expect("a keep-for row");
    assert!(
        names(&row["modules"]["removed"]).contains(&"colorsys".to_owned()),
        "{row}"
    );

    // The three scripts, traced: colorsys stays.
    let out = env.path().join("out");
    let (report, warned) = pyprune_json(
        env.path(),
        &[
            "apply".as_ref(),
            input.as_os_str(),
            "--out".as_ref(),
            out.as_os_str(),
            "--no-verify".as_ref(),
            "--trace".as_ref(),
            "--keep-for".as_ref(),
            "serve.py".as_ref(),
            "--keep-for".as_ref(),
            "aio.py".as_ref(),
            "--keep-for".as_ref(),
            "dynamic.py".as_ref(),
        ],
    );
    // The computed import is named by file and line.
    assert!(
        warned.contains(
            "dynamic.py:3: `importlib.import_module(name)` imports a name computed at run time"
        ),
        "{warned}"
    );
    let removed = names(&report["keep_for"]["removed"]);
    // (pydoc stays: `help()`, which site installs, imports it.)
    for module in ["tkinter", "sqlite3", "unittest", "venv", "ensurepip"] {
        assert!(
            removed.contains(&module.to_owned()),
            "{module}: {removed:?}"
        );
    }
    assert!(
        !removed.iter().any(|m| m == "colorsys" || m == "json"),
        "{removed:?}"
    );
    assert_saved(input_du, modules_du, &out, &report, 0.25);

    // python -m venv, pip included.
    let out_venv = env.path().join("out-venv");
    let (venv_report, _) = pyprune_json(
        env.path(),
        &[
            "apply".as_ref(),
            input.as_os_str(),
            "--out".as_ref(),
            out_venv.as_os_str(),
            "--no-verify".as_ref(),
            "--keep-for".as_ref(),
            "venv".as_ref(),
        ],
    );
    let venv_removed = names(&venv_report["keep_for"]["removed"]);
    for module in ["tkinter", "sqlite3"] {
        assert!(
            venv_removed.contains(&module.to_owned()),
            "{module}: {venv_removed:?}"
        );
    }
    assert_saved(input_du, modules_du, &out_venv, &venv_report, 0.1);

    // The copy out of reach: only the results can serve.
    let moved = env.path().join("moved");
    std::fs::rename(input, &moved).expect("move the input away");
    let binary = reduced.python.strip_prefix(input).expect("inside");
    let python = out.join(binary);
    let cwd = env.path();
    let ran = |args: &[&str]| {
        let (ok, stdout, stderr) = run(&python, cwd, args);
        assert!(ok, "{args:?}: {stderr}");
        stdout
    };
    assert_eq!(ran(&["serve.py", "--greeting", "hi"]), "hi 200");
    assert_eq!(ran(&["aio.py"]), "PING [0, 1, 2]");
    assert_eq!(ran(&["dynamic.py"]), "colorsys");
    assert_eq!(ran(&["dynamic.py", "json"]), "json");
    // A removed module: the error says it, and how to keep it.
    let (ok, _, stderr) = run(&python, cwd, &["dynamic.py", "tkinter"]);
    assert!(!ok);
    let expected = format!(
        "ModuleNotFoundError: {}",
        error_message("tkinter", StepName::KeepFor, None)
    );
    assert!(stderr.ends_with(&expected), "{stderr}");
    assert!(expected.contains("--keep-for"), "{expected}");

    let python = out_venv.join(binary);
    let made = env.path().join("made-venv");
    let (ok, stdout, stderr) = run(&python, cwd, &["-m", "venv", made.to_str().expect("utf-8")]);
    if !ok {
        // venv hides what ensurepip said: ask it again.
        let again = run(
            &made.join("bin/python"),
            cwd,
            &["-m", "ensurepip", "--default-pip"],
        );
        panic!("python -m venv: {stdout}{stderr}\nensurepip: {again:?}");
    }
    let (ok, stdout, stderr) = run(&made.join("bin/python"), cwd, &["-m", "pip", "--version"]);
    assert!(ok && stdout.starts_with("pip "), "{stdout}{stderr}");
    assert!(stdout.contains(made.to_str().expect("utf-8")), "{stdout}");
}

const DJANGO_APP: &str = r#"import json, sys
import django
from django.conf import settings

settings.configure(
    SECRET_KEY="not secret",
    ROOT_URLCONF=__name__,
    ALLOWED_HOSTS=["testserver"],
    INSTALLED_APPS=[],
    MIDDLEWARE=[],
)
django.setup()
from django.http import JsonResponse
from django.test import Client
from django.urls import path


def hello(request, name):
    return JsonResponse({"hello": name})


urlpatterns = [path("hello/<str:name>", hello)]
response = Client().get("/hello/world")
print(response.status_code, json.loads(response.content)["hello"], django.__file__.startswith(sys.prefix))
"#;

#[test]
fn a_django_program_runs_on_its_venv_pruned_for_it() {
    let venv = crate::venvs::shared_venv();
    // On disk, as the venv is: du of the two is compared.
    let env = TestEnv::on_disk();
    let app = env.write("app.py", DJANGO_APP);
    let out = env.path().join("out");
    let (report, _) = pyprune_json(
        env.path(),
        &[
            "apply".as_ref(),
            venv.as_os_str(),
            "--out".as_ref(),
            out.as_os_str(),
            "--no-verify".as_ref(),
            "--trace".as_ref(),
            "--keep-for".as_ref(),
            app.as_os_str(),
        ],
    );
    let removed = names(&report["keep_for"]["removed"]);
    assert!(removed.contains(&"numpy".to_owned()), "{removed:?}");
    assert!(!removed.iter().any(|m| m == "django"), "{removed:?}");
    let venv_du = du_bytes(venv, false);
    assert_saved(venv_du, venv_du, &out, &report, 0.5);
    let (ok, stdout, stderr) = run(&out.join("bin/python"), env.path(), &["app.py"]);
    assert!(ok, "{stderr}");
    // Django came from the result, not from the venv it was copied from.
    assert_eq!(stdout, "200 world True");
    crate::records::assert_records_true(&out);
}
