//! Hostile bytes: truncated, bit-flipped, foreign-version and randomly mutated
//! real pycs must give an error or a result, never a panic, a hang or a huge
//! allocation. Raise `PROPTEST_CASES` to fuzz longer.

use proptest::prelude::*;
use pyprune_pyc::{Magic, Pyc, PycError, PythonVersion};
use std::process::Command;
use std::sync::OnceLock;

/// Real pycs written by the installed python3: a small module and a large one,
/// at every level, in timestamp and checked-hash mode.
fn corpus() -> &'static Vec<Vec<u8>> {
    static CORPUS: OnceLock<Vec<Vec<u8>>> = OnceLock::new();
    CORPUS.get_or_init(|| {
        let dir = tempfile::tempdir().expect("tempdir");
        let code = r#"
import py_compile, sys, sysconfig, os
stdlib = sysconfig.get_paths()["stdlib"]
out = sys.argv[1]
for name in ["this.py", "enum.py"]:
    for level in (0, 1, 2):
        for mode in ("TIMESTAMP", "CHECKED_HASH"):
            py_compile.compile(os.path.join(stdlib, name), cfile=os.path.join(out, f"{name}.{level}.{mode}.pyc"),
                               optimize=level, invalidation_mode=py_compile.PycInvalidationMode[mode], doraise=True)
"#;
        let status = Command::new("python3").args(["-c", code]).arg(dir.path()).status().expect("python3");
        assert!(status.success());
        let mut files: Vec<_> = std::fs::read_dir(dir.path())
            .expect("read")
            .map(|e| e.expect("entry").path())
            .collect();
        files.sort();
        files.iter().map(|p| std::fs::read(p).expect("read")).collect()
    })
}

fn small_pyc() -> &'static [u8] {
    corpus().iter().min_by_key(|d| d.len()).expect("corpus")
}

#[test]
fn the_corpus_parses() {
    assert_eq!(corpus().len(), 12);
    for data in corpus() {
        Pyc::parse(data).expect("a real pyc parses");
    }
}

#[test]
fn skimming_finds_the_same_file_name_as_a_full_read() {
    for data in corpus() {
        let pyc = Pyc::parse(data).expect("parses");
        let skimmed = pyprune_pyc::marshal::first_filename(&data[16..], pyc.header.magic.version);
        assert_eq!(skimmed, Ok(Some(pyc.code.filename.clone())));
    }
}

#[test]
fn renaming_the_file_reaches_every_code_object_and_back() {
    let v311 = PythonVersion::new(3, 11);
    for data in corpus() {
        let pyc = Pyc::parse(data).expect("parses");
        let old = pyc.code.filename.clone();
        for new in ["n.py", &"/long".repeat(80), "/caf\u{e9}/m.py"] {
            let body = pyprune_pyc::rename_code_file(&data[16..], v311, |_| Some(new.to_owned()))
                .expect("renames")
                .expect("has code");
            let renamed = [&data[..16], &body[..]].concat();
            let reread = Pyc::parse(&renamed).expect("still parses");
            assert_eq!(reread.code.filename, new);
            // Every file name written out in full is the new one (the rest refer to it).
            let names = std::cell::RefCell::new(Vec::new());
            let unchanged = pyprune_pyc::rename_code_file(&body, v311, |name| {
                names.borrow_mut().push(name.to_owned());
                None
            });
            assert_eq!(unchanged, Ok(Some(body.clone())));
            let names = names.into_inner();
            assert!(
                !names.is_empty() && names.iter().all(|n| n == new),
                "{names:?}"
            );
            let back = pyprune_pyc::rename_code_file(&body, v311, |_| Some(old.clone()))
                .expect("renames")
                .expect("has code");
            assert!(back == data[16..], "renaming back gives the original bytes");
        }
    }
}

/// The marshal data of `compile(SOURCE, NAME, "exec")` as the real python3 writes it.
fn marshalled(source: &str, name_expr: &str) -> Vec<u8> {
    let code = format!(
        "import marshal, sys; sys.stdout.buffer.write(marshal.dumps(compile({source:?}, {name_expr}, 'exec', dont_inherit=True)))"
    );
    let out = Command::new("python3")
        .args(["-c", &code])
        .output()
        .expect("python3");
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    out.stdout
}

#[test]
fn a_file_name_shared_with_another_slot_is_refused_and_odd_bytes_kept() {
    let v311 = PythonVersion::new(3, 11);
    let rename = |_: &str| Some("/new/name.py".to_owned());
    // An identifier-like name is interned: the function's co_name refers to it.
    let shared = marshalled("def f():\n    return 1\n", "'f'");
    assert_eq!(
        pyprune_pyc::rename_code_file(&shared, v311, rename),
        Err(pyprune_pyc::RenameError::Shared)
    );
    // The name written first as a global's name, co_filename a reference to it.
    let first_as_name = marshalled("def f():\n    return g\n", "'g'");
    assert_eq!(
        pyprune_pyc::rename_code_file(&first_as_name, v311, rename),
        Err(pyprune_pyc::RenameError::Shared)
    );
    // A name that is not UTF-8 (surrogate-escaped bytes) is kept as it is.
    let odd = marshalled(
        "x = 1\n",
        "b'/caf\\xe9/m.py'.decode('utf-8', 'surrogateescape')",
    );
    assert_eq!(
        pyprune_pyc::rename_code_file(&odd, v311, rename),
        Ok(Some(odd.clone()))
    );
}

#[test]
fn every_truncation_is_an_error() {
    let data = small_pyc();
    for len in 0..data.len() {
        assert!(
            Pyc::parse(&data[..len]).is_err(),
            "truncated to {len} bytes"
        );
    }
}

#[test]
fn every_byte_flip_is_survived() {
    let data = small_pyc();
    for at in 0..data.len() {
        for mask in [0x01, 0x80, 0xff] {
            let mut flipped = data.to_vec();
            flipped[at] ^= mask;
            let _ = Pyc::parse(&flipped);
        }
    }
}

#[test]
fn foreign_magic_numbers_are_read_with_their_layout_or_refused() {
    for minor in 0..=14 {
        let version = PythonVersion::new(3, minor);
        let number = Magic::of_version(version).expect("known");
        for data in corpus() {
            let mut foreign = data.clone();
            foreign[..2].copy_from_slice(&number.to_le_bytes());
            match Pyc::parse(&foreign) {
                Ok(pyc) => assert_eq!(pyc.header.magic.version, version),
                Err(PycError::Header(_) | PycError::Marshal(_) | PycError::NotCode) => {}
            }
        }
    }
    let mut python2 = small_pyc().to_vec();
    python2[..2].copy_from_slice(&62211u16.to_le_bytes());
    let err = Pyc::parse(&python2).expect_err("2.7 is not known");
    assert!(err.to_string().contains("62211"), "{err}");
}

#[test]
fn a_deeply_nested_constant_is_refused_not_overflowed() {
    let mut data = small_pyc()[..16].to_vec();
    data.extend(b")\x01".repeat(100_000));
    data.push(b'N');
    let result = std::thread::Builder::new()
        .stack_size(256 * 1024)
        .spawn(move || Pyc::parse(&data).map(|_| ()))
        .expect("spawn")
        .join()
        .expect("no overflow");
    assert!(matches!(result, Err(PycError::Marshal(_))), "{result:?}");
}

#[path = "common/mutation.rs"]
mod mutation;

proptest! {
    // The entry point the cargo-fuzz target `pyc` runs (fuzz/, docs/TESTING.md).
    #[test]
    fn mutated_real_pycs_never_panic(which in 0..12usize, mutations in mutation::mutations()) {
        pyprune_pyc::fuzzing::pyc(&mutation::mutated(&corpus()[which], &mutations));
    }

    #[test]
    fn random_bodies_behind_a_real_header_never_panic(body in proptest::collection::vec(any::<u8>(), 0..512)) {
        let mut data = small_pyc()[..16].to_vec();
        data.extend(body);
        pyprune_pyc::fuzzing::pyc(&data);
    }
}

#[test]
fn marshal_of_a_real_python_dump_reads_back() {
    // A dump of nested containers, refs and every scalar type, written by the real marshal.
    let code = "import marshal, sys; s = 'shared'; sys.stdout.buffer.write(marshal.dumps(([s, s], {1: 2.5}, frozenset({b'x'}), 2**80, -2**70, 1j, None, ..., (True, False))))";
    let out = Command::new("python3")
        .args(["-c", code])
        .output()
        .expect("python3");
    assert!(out.status.success());
    let object = pyprune_pyc::marshal::read(&out.stdout, PythonVersion::new(3, 11)).expect("reads");
    let items = object.items();
    assert_eq!(items.len(), 9);
    assert_eq!(items[0].items()[0].as_str(), Some("shared"));
    assert_eq!(items[0].items()[1].as_str(), Some("shared"));
    assert!(matches!(
        items[3],
        pyprune_pyc::marshal::Object::Long {
            negative: false,
            ..
        }
    ));
    assert!(matches!(
        items[4],
        pyprune_pyc::marshal::Object::Long { negative: true, .. }
    ));
}
