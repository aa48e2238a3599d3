//! The worker pool with the real interpreter.

use pyprune_python::{
    CompileOutcome, CompileRequest, InvalidationMode, PoolError, PoolOptions, compile_all,
};
use std::ffi::OsString;
use std::path::Path;
use std::time::Duration;

fn options(workers: usize, timeout: Duration) -> PoolOptions {
    PoolOptions {
        python: OsString::from("python3"),
        workers,
        timeout,
    }
}

fn request(dir: &Path, name: &str, levels: &[u8]) -> CompileRequest {
    CompileRequest {
        source: dir.join(name),
        dfile: None,
        mode: InvalidationMode::Timestamp,
        targets: levels
            .iter()
            .map(|&l| (l, dir.join(format!("{name}.{l}.pyc"))))
            .collect(),
    }
}

#[test]
fn compiles_like_py_compile_and_reports_errors_per_file() {
    let dir = tempfile::tempdir().expect("tempdir");
    std::fs::write(
        dir.path().join("good.py"),
        "\"\"\"Doc.\"\"\"\nassert True\nx = 1 is 1\n",
    )
    .expect("write");
    std::fs::write(dir.path().join("bad.py"), "def f(:\n").expect("write");
    let requests = vec![
        request(dir.path(), "good.py", &[0, 1, 2]),
        request(dir.path(), "bad.py", &[0]),
    ];
    let mut outcomes = [None, None];
    compile_all(&options(2, Duration::from_secs(60)), &requests, |i, o| {
        outcomes[i] = Some(o)
    })
    .expect("pool");

    match outcomes[0].as_ref().expect("done") {
        CompileOutcome::Compiled { warnings } => {
            assert!(
                warnings.iter().any(|w| w.contains("SyntaxWarning")),
                "{warnings:?}"
            );
        }
        other => panic!("{other:?}"),
    }
    match outcomes[1].as_ref().expect("done") {
        CompileOutcome::Failed { message } => assert!(message.contains("SyntaxError"), "{message}"),
        other => panic!("{other:?}"),
    }
    // The bytes are py_compile's own, level by level.
    for level in [0u8, 1, 2] {
        let reference = dir.path().join(format!("reference.{level}.pyc"));
        let code = format!(
            "import py_compile; py_compile.compile({:?}, {:?}, optimize={level}, doraise=True)",
            dir.path().join("good.py").display().to_string(),
            reference.display().to_string()
        );
        let status = std::process::Command::new("python3")
            .args(["-c", &code])
            .status()
            .expect("python3");
        assert!(status.success());
        let ours = std::fs::read(dir.path().join(format!("good.py.{level}.pyc"))).expect("ours");
        assert_eq!(
            ours,
            std::fs::read(reference).expect("reference"),
            "level {level}"
        );
    }
}

#[test]
fn a_file_over_its_time_is_failed_and_its_worker_replaced() {
    let dir = tempfile::tempdir().expect("tempdir");
    // Compiling 400,000 statements takes far longer than 300 ms.
    let slow: String = (0..400_000).map(|i| format!("x{i} = {i}\n")).collect();
    std::fs::write(dir.path().join("slow.py"), slow).expect("write");
    std::fs::write(dir.path().join("quick.py"), "y = 2\n").expect("write");
    let requests = vec![
        request(dir.path(), "slow.py", &[0]),
        request(dir.path(), "quick.py", &[0]),
    ];
    let mut outcomes = [None, None];
    compile_all(
        &options(1, Duration::from_millis(300)),
        &requests,
        |i, o| outcomes[i] = Some(o),
    )
    .expect("pool");
    match outcomes[0].as_ref().expect("done") {
        CompileOutcome::Failed { message } => assert!(message.contains("timed out"), "{message}"),
        other => panic!("{other:?}"),
    }
    // A new worker took the next file.
    assert!(
        matches!(outcomes[1], Some(CompileOutcome::Compiled { .. })),
        "{:?}",
        outcomes[1]
    );
    assert!(dir.path().join("quick.py.0.pyc").exists());
}

#[test]
fn a_missing_interpreter_is_an_error_not_a_hang() {
    let dir = tempfile::tempdir().expect("tempdir");
    std::fs::write(dir.path().join("a.py"), "a = 1\n").expect("write");
    let requests = vec![request(dir.path(), "a.py", &[0])];
    let options = PoolOptions {
        python: OsString::from("/nonexistent/python"),
        workers: 2,
        timeout: Duration::from_secs(5),
    };
    let err = compile_all(&options, &requests, |_, _| {}).expect_err("no interpreter");
    assert!(matches!(err, PoolError::Spawn { .. }), "{err}");
}

/// A prefix holding a copy of the installed interpreter and its stdlib
/// without `py_compile`, which the compile worker imports first thing.
fn prefix_without_py_compile(dir: &Path) -> std::path::PathBuf {
    let ask = |code: &str| {
        let out = std::process::Command::new("python3")
            .args(["-c", code])
            .output()
            .expect("python3");
        String::from_utf8(out.stdout)
            .expect("utf-8")
            .trim()
            .to_owned()
    };
    let executable = ask("import sys; print(sys.executable)");
    let stdlib = ask("import sysconfig; print(sysconfig.get_paths()['stdlib'])");
    let name = Path::new(&stdlib)
        .file_name()
        .expect("python3.X")
        .to_owned();
    let bin = dir.join("bin");
    let lib = dir.join("lib").join(&name);
    std::fs::create_dir_all(&bin).expect("mkdir");
    std::fs::create_dir_all(&lib).expect("mkdir");
    let python = bin.join(&name);
    std::fs::copy(&executable, &python).expect("copy the interpreter");
    // Start-up needs `encodings` and the plain modules beside it.
    for entry in std::fs::read_dir(&stdlib).expect("stdlib") {
        let entry = entry.expect("entry");
        let file = entry.file_name();
        let keep = file == "encodings"
            || file == "lib-dynload"
            || (file.to_string_lossy().ends_with(".py") && file != "py_compile.py");
        if keep {
            let status = std::process::Command::new("cp")
                .arg("-a")
                .arg(entry.path())
                .arg(&lib)
                .status()
                .expect("cp");
            assert!(status.success(), "cp {}", entry.path().display());
        }
    }
    python
}

#[test]
fn a_worker_that_cannot_start_says_why_at_once() {
    let dir = tempfile::tempdir().expect("tempdir");
    let python = prefix_without_py_compile(&dir.path().join("prefix"));
    std::fs::write(dir.path().join("a.py"), "a = 1\n").expect("write");
    let requests = vec![request(dir.path(), "a.py", &[0])];
    let options = PoolOptions {
        python: python.into_os_string(),
        workers: 1,
        timeout: Duration::from_secs(5),
    };
    let started = std::time::Instant::now();
    let err = compile_all(&options, &requests, |_, _| {}).expect_err("no py_compile");
    let message = err.to_string();
    assert!(matches!(err, PoolError::Handshake { .. }), "{message}");
    assert!(message.contains("before it was ready"), "{message}");
    assert!(message.contains("py_compile"), "{message}");
    // Not the handshake's time-out (30 s): the worker's exit is seen at once.
    assert!(started.elapsed() < Duration::from_secs(20), "{message}");
}
