//! Stripping runs binutils' `strip` (in a scratch directory, never in the
//! tree): the bytes come from the model, so the tree need not exist. The
//! loader check runs `python3` on an extension module of its own stdlib.

use super::*;
use crate::model_builder::{TreeBuilder, actions, context};
use crate::steps::loader::loads;
use crate::steps::{StepName, step_actions};
use std::path::PathBuf;

const EXT: &str = "lib-dynload/_json.cpython-311-x86_64-linux-gnu.so";

fn with_python() -> Context {
    Context {
        interpreter: Some("python3".into()),
        ..context()
    }
}

fn strip_with(model: &Model, context: &Context) -> Stripping {
    strip(model, context).expect("stripped")
}

#[test]
fn nothing_to_strip_without_extensions() {
    // A shared library that is not an extension module is not touched.
    let model = TreeBuilder::new()
        .file("os.py", "")
        .file("libpython3.11.so.1.0", "not an ELF file")
        .build();
    assert_eq!(actions(StepName::StripExtensions, &model), []);
}

#[test]
fn an_extension_strip_cannot_read_is_left_as_it_is_and_named() {
    let model = TreeBuilder::new()
        .file("os.py", "")
        .file(EXT, "not an ELF file")
        .build();
    let stripping = strip_with(&model, &with_python());
    assert_eq!(stripping.actions, []);
    assert_eq!(
        stripping.left,
        [LeftAsIs {
            what: EXT.to_owned(),
            why: "strip cannot read it: not an ELF file".to_owned(),
        }]
    );
    // An object type no loader loads: strip or the loader says so.
    let mut bad = unstripped_extension();
    bad[0x10] = 0x7f; // e_type: no such object type
    let model = TreeBuilder::new().file_with_mode(EXT, bad, 0o755).build();
    let stripping = strip_with(&model, &with_python());
    assert_eq!(stripping.actions, []);
    assert_eq!(stripping.left.len(), 1);
    assert!(
        stripping.left[0].why.starts_with("strip refused it: ")
            || stripping.left[0]
                .why
                .contains("only ET_DYN and ET_EXEC can be loaded"),
        "{:?}",
        stripping.left
    );
}

/// An unstripped extension module that loads: `python3`'s own `_json`
/// (pyenv's builds keep their debug information).
fn unstripped_extension() -> Vec<u8> {
    let out = std::process::Command::new("python3")
        .args(["-c", "import _json; print(_json.__file__)"])
        .output()
        .expect("python3");
    let path = String::from_utf8_lossy(&out.stdout).trim().to_owned();
    std::fs::read(&path).unwrap_or_else(|e| panic!("{path}: {e}"))
}

#[test]
fn an_extension_is_replaced_by_its_stripped_bytes_keeping_its_mode() {
    let elf = unstripped_extension();
    let model = TreeBuilder::new()
        .file("os.py", "")
        .file_with_mode(EXT, &elf, 0o755)
        .build();
    let got = step_actions(StepName::StripExtensions, &model, &with_python()).expect("planned");
    let [
        Action::Write {
            path,
            bytes,
            mode,
            kind,
            module,
        },
    ] = got.as_slice()
    else {
        panic!("one write: {got:?}");
    };
    assert_eq!(path, &PathBuf::from(EXT));
    assert_eq!(
        (*mode, *kind, module.as_str()),
        (0o755, Kind::Extension, "_json")
    );
    assert!(bytes.len() < elf.len(), "{} < {}", bytes.len(), elf.len());
    assert_eq!(&bytes[..4], b"\x7fELF");
    // The stripped bytes load: the loader check passed them.
    let dir = tempfile::tempdir().expect("tmp");
    let copy = dir.path().join("_json.so");
    std::fs::write(&copy, bytes).expect("write");
    assert_eq!(loads(std::ffi::OsStr::new("python3"), &copy), Ok(()));
    // Stripped already: nothing more to do.
    let stripped = TreeBuilder::new()
        .file("os.py", "")
        .file_with_mode(EXT, bytes, 0o755)
        .build();
    assert_eq!(
        step_actions(StepName::StripExtensions, &stripped, &with_python()).expect("planned"),
        []
    );
}

#[test]
fn one_library_strip_refuses_leaves_the_others_of_its_run_stripped() {
    // One strip runs over many libraries; where it fails, each is
    // stripped alone, so the one it refuses is named and the rest go on.
    let elf = unstripped_extension();
    // Its symbol table's offset past the end of the file: strip refuses
    // ("a section extending past end of file"), its layout still reads.
    let mut bad = elf.clone();
    let word = |at: usize, width: usize| {
        let mut value = [0u8; 8];
        value[..width].copy_from_slice(&elf[at..at + width]);
        u64::from_le_bytes(value) as usize
    };
    let (shoff, shentsize, shnum) = (word(0x28, 8), word(0x3a, 2), word(0x3c, 2));
    let symtab = (0..shnum)
        .map(|i| shoff + i * shentsize)
        .find(|header| word(header + 4, 4) == 2)
        .expect("a symbol table");
    bad[symtab + 0x18..symtab + 0x20].copy_from_slice(&0x7fff_ffffu64.to_le_bytes());
    let other = "lib-dynload/_other.cpython-311-x86_64-linux-gnu.so";
    let model = TreeBuilder::new()
        .file("os.py", "")
        .file_with_mode(EXT, &elf, 0o755)
        .file_with_mode(other, &bad, 0o755)
        .build();
    // One thread: both libraries in one strip run.
    let pool = rayon::ThreadPoolBuilder::new()
        .num_threads(1)
        .build()
        .expect("pool");
    let stripping = pool.install(|| strip_with(&model, &with_python()));
    let written: Vec<_> = stripping.actions.iter().flat_map(Action::paths).collect();
    assert_eq!(written, [Path::new(EXT)], "{:?}", stripping.left);
    assert_eq!(stripping.left.len(), 1, "{:?}", stripping.left);
    assert_eq!(stripping.left[0].what, other);
    assert!(
        stripping.left[0].why.starts_with("strip refused it: "),
        "{:?}",
        stripping.left
    );
}

#[test]
fn without_the_trees_interpreter_nothing_is_stripped_and_it_says_why() {
    let model = TreeBuilder::new()
        .file("os.py", "")
        .file_with_mode(EXT, unstripped_extension(), 0o755)
        .build();
    let stripping = strip_with(&model, &context());
    assert_eq!(stripping.actions, []);
    assert_eq!(stripping.left.len(), 1);
    assert!(
        stripping.left[0]
            .why
            .starts_with("no interpreter of the tree"),
        "{:?}",
        stripping.left
    );
}

#[test]
fn vendored_libraries_are_never_stripped() {
    let elf = unstripped_extension();
    for dir in [
        "site-packages/numpy.libs",
        "site-packages/pkg/.dylibs",
        "site-packages/pkg/.libs",
    ] {
        let lib = format!("{dir}/libopenblas-r0-1234.so");
        let model = TreeBuilder::new()
            .file("site-packages/pkg/__init__.py", "")
            .file_with_mode(&lib, &elf, 0o755)
            .build();
        let stripping = strip_with(&model, &with_python());
        assert_eq!(stripping.actions, [], "{dir}");
        assert_eq!(stripping.left.len(), 1, "{dir}");
        assert_eq!(stripping.left[0].what, lib);
        assert!(
            stripping.left[0]
                .why
                .starts_with("a vendored shared library"),
            "{:?}",
            stripping.left
        );
    }
}

#[test]
fn a_library_whose_layout_patchelf_rewrote_is_left_as_it_is() {
    let rewritten = crate::steps::elf_layout::tests::elf64(&[
        (1, 6, 0x1000, 0x100),
        (3, 0, 0x2000, 0x30),
        (3, 2, 0x3000, 0x40),
    ]);
    let model = TreeBuilder::new()
        .file("os.py", "")
        .file_with_mode(EXT, &rewritten, 0o755)
        .build();
    let stripping = strip_with(&model, &with_python());
    assert_eq!(stripping.actions, []);
    assert!(
        stripping.left[0].why.contains("ELF layout was rewritten"),
        "{:?}",
        stripping.left
    );
}

#[test]
fn the_loader_check_sees_a_library_it_cannot_map() {
    let elf = unstripped_extension();
    let dir = tempfile::tempdir().expect("tmp");
    let whole = dir.path().join("whole.so");
    std::fs::write(&whole, &elf).expect("write");
    assert_eq!(loads(std::ffi::OsStr::new("python3"), &whole), Ok(()));
    // A load segment moved off its page alignment, as strip leaves a
    // library patchelf rewrote: the very error.
    let mut misaligned = elf.clone();
    let at = |bytes: &[u8], offset: usize, width: usize| {
        let mut value = [0u8; 8];
        value[..width].copy_from_slice(&bytes[offset..offset + width]);
        u64::from_le_bytes(value) as usize
    };
    let (phoff, phentsize, phnum) = (at(&elf, 0x20, 8), at(&elf, 0x36, 2), at(&elf, 0x38, 2));
    let second_load = (0..phnum)
        .map(|i| phoff + i * phentsize)
        .filter(|header| at(&elf, *header, 4) == 1)
        .nth(1)
        .expect("two PT_LOAD segments");
    let offset = at(&elf, second_load + 8, 8) + 0x10;
    misaligned[second_load + 8..second_load + 16].copy_from_slice(&(offset as u64).to_le_bytes());
    let bad = dir.path().join("misaligned.so");
    std::fs::write(&bad, &misaligned).expect("write");
    let why = loads(std::ffi::OsStr::new("python3"), &bad)
        .expect_err("not loadable")
        .to_string();
    assert!(why.contains("not page-aligned"), "{why}");
    // A loader that dies of it (cut short: SIGBUS) is a refusal too.
    let cut = dir.path().join("cut.so");
    std::fs::write(&cut, &elf[..elf.len() / 8]).expect("write");
    loads(std::ffi::OsStr::new("python3"), &cut).expect_err("not loadable");
}
