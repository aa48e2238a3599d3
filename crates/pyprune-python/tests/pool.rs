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
