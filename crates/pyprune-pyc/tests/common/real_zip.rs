//! A real zip, as Python's `zipfile` writes one: a few stdlib modules, a
//! package, a compiled cache, stored and deflated members. The seed the zip
//! properties mutate; shared by the crates' tests with `#[path]`.

use std::process::Command;
use std::sync::OnceLock;

pub fn real_zip() -> &'static [u8] {
    static ZIP: OnceLock<Vec<u8>> = OnceLock::new();
    ZIP.get_or_init(|| {
        let code = r#"
import io, os, py_compile, sys, sysconfig, tempfile, zipfile
stdlib = sysconfig.get_paths()["stdlib"]
out = io.BytesIO()
with zipfile.ZipFile(out, "w") as z:
    z.write(os.path.join(stdlib, "this.py"), "this.py", zipfile.ZIP_DEFLATED)
    z.write(os.path.join(stdlib, "json", "__init__.py"), "json/__init__.py", zipfile.ZIP_STORED)
    with tempfile.TemporaryDirectory() as tmp:
        cache = py_compile.compile(os.path.join(stdlib, "json", "tool.py"), cfile=os.path.join(tmp, "tool.pyc"), doraise=True)
        z.write(cache, "json/tool.pyc", zipfile.ZIP_DEFLATED)
    z.writestr("data/readme.txt", b"not a module\n")
sys.stdout.buffer.write(out.getvalue())
"#;
        let out = Command::new("python3")
            .args(["-c", code])
            .output()
            .expect("python3");
        assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
        out.stdout
    })
}
