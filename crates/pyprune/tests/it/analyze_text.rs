//! The text report, as a person sees it: a snapshot on a tree whose sizes are
//! fixed by the test (multiples of 4 KiB, so disk usage equals size on ext4).

use crate::harness::*;

fn kib(n: usize) -> Vec<u8> {
    (0..n * 1024).map(|i| b"abcdefgh"[i % 8]).collect()
}

#[test]
fn text_report_snapshot() {
    // Its directories take a block each: counted below the tables.
    let env = TestEnv::on_disk();
    env.write("email/__init__.py", kib(8));
    env.write("email/__pycache__/__init__.cpython-311.pyc", kib(4));
    env.write("email/__pycache__/__init__.cpython-311.opt-2.pyc", kib(4));
    std::fs::hard_link(
        env.path()
            .join("email/__pycache__/__init__.cpython-311.pyc"),
        env.path()
            .join("email/__pycache__/__init__.cpython-311.opt-1.pyc"),
    )
    .expect("link");
    env.write("encodings/cp1252.py", kib(12));
    env.write("os.py", kib(40));
    env.write("__pycache__/os.cpython-311.pyc", kib(32));
    env.write("lib-dynload/_ssl.cpython-311-x86_64-linux-gnu.so", kib(200));
    env.write("pydoc_data/topics.pyc", kib(16));
    env.write("pydoc_data/_pydoc.css", kib(4));
    env.write("site-packages/pip-23.2.1.dist-info/RECORD", kib(4));

    let output = pyprune()
        .args(["analyze", "--top", "4"])
        .arg(env.path())
        .output()
        .expect("run");
    assert!(output.status.success(), "{}", stderr(&output));
    let text = String::from_utf8(output.stdout).expect("utf-8");
    // The first line names the root, which may be any length; the tables fit 80 columns.
    assert!(
        text.lines().skip(1).all(|line| line.chars().count() <= 80),
        "fits 80 columns:\n{text}"
    );
    let root = env
        .path()
        .canonicalize()
        .expect("canonical")
        .display()
        .to_string();
    insta::with_settings!({filters => vec![(regex_escape(&root).as_str(), "[ROOT]")]}, {
        insta::assert_snapshot!(text);
    });
}

#[test]
fn apparent_sizes_on_request() {
    let env = TestEnv::new();
    env.write("big.py", vec![b'x'; 5000]);
    let output = pyprune()
        .args(["analyze", "--apparent"])
        .arg(env.path())
        .output()
        .expect("run");
    let text = String::from_utf8(output.stdout).expect("utf-8");
    assert!(text.contains("by apparent size"), "{text}");
    // 5000 bytes are 4.9 KiB in the file and 8.0 KiB on disk; the module table shows the former.
    let module_row = text
        .lines()
        .find(|l| l.trim_start().starts_with("big "))
        .expect("row");
    assert!(module_row.contains("4.9 KiB"), "{module_row}");
}

fn regex_escape(text: &str) -> String {
    text.chars()
        .map(|c| {
            if c.is_ascii_alphanumeric() || c == '/' {
                c.to_string()
            } else {
                format!("\\{c}")
            }
        })
        .collect()
}
