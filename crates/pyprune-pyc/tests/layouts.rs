//! Code-object layouts of releases not installed here, built from the marshal
//! format: 3.8–3.10 (qualified names computed, docstring as first constant)
//! and 3.14 (docstring flagged by `CO_HAS_DOCSTRING`).

use pyprune_pyc::{CodeKind, CodeSummary, PythonVersion, marshal};

const CO_NEWLOCALS: i32 = 0x2;
const CO_HAS_DOCSTRING: i32 = 0x0400_0000;

fn long(out: &mut Vec<u8>, value: i32) {
    out.extend_from_slice(&value.to_le_bytes());
}

fn text(value: &str) -> Vec<u8> {
    let mut out = vec![b'u'];
    long(&mut out, i32::try_from(value.len()).expect("short"));
    out.extend_from_slice(value.as_bytes());
    out
}

fn tuple(items: &[Vec<u8>]) -> Vec<u8> {
    let mut out = vec![b'('];
    long(&mut out, i32::try_from(items.len()).expect("short"));
    for item in items {
        out.extend_from_slice(item);
    }
    out
}

struct Spec<'a> {
    name: &'a str,
    flags: i32,
    consts: Vec<Vec<u8>>,
    names: &'a [&'a str],
    line: i32,
}

/// A code object as `version` marshals it (3.8–3.10 layout, or 3.11+ with `co_qualname`).
fn code(version: PythonVersion, spec: Spec<'_>, qualname: &str) -> Vec<u8> {
    let modern = version >= PythonVersion::new(3, 11);
    let mut out = vec![b'c'];
    let counts: &[i32] = if modern {
        &[0, 0, 0, 1]
    } else {
        &[0, 0, 0, 0, 1]
    };
    for value in counts {
        long(&mut out, *value);
    }
    long(&mut out, spec.flags);
    out.extend_from_slice(b"s\x00\x00\x00\x00");
    out.extend(tuple(&spec.consts));
    out.extend(tuple(
        &spec.names.iter().map(|n| text(n)).collect::<Vec<_>>(),
    ));
    if modern {
        out.extend(tuple(&[]));
        out.extend_from_slice(b"s\x00\x00\x00\x00");
    } else {
        out.extend(tuple(&[]));
        out.extend(tuple(&[]));
        out.extend(tuple(&[]));
    }
    out.extend(text("/src/mod.py"));
    out.extend(text(spec.name));
    if modern {
        out.extend(text(qualname));
    }
    long(&mut out, spec.line);
    out.extend_from_slice(b"s\x00\x00\x00\x00");
    if modern {
        out.extend_from_slice(b"s\x00\x00\x00\x00");
    }
    out
}

/// A module with a documented class holding a documented method with a nested
/// undocumented function, and an undocumented top-level function.
fn module(version: PythonVersion) -> Vec<u8> {
    let function_doc = |doc: bool| -> (i32, Vec<Vec<u8>>) {
        if version >= PythonVersion::new(3, 14) {
            // 3.14: no None placeholder; the flag says whether consts[0] is the docstring.
            if doc {
                (CO_NEWLOCALS | CO_HAS_DOCSTRING, vec![text("Doc.")])
            } else {
                (CO_NEWLOCALS, vec![text("not a docstring")])
            }
        } else if doc {
            (CO_NEWLOCALS, vec![text("Doc.")])
        } else {
            (CO_NEWLOCALS, vec![b"N".to_vec()])
        }
    };
    let (inner_flags, inner_consts) = function_doc(false);
    let inner = code(
        version,
        Spec {
            name: "inner",
            flags: inner_flags,
            consts: inner_consts,
            names: &[],
            line: 5,
        },
        "C.m.<locals>.inner",
    );
    let (method_flags, mut method_consts) = function_doc(true);
    method_consts.push(inner);
    let method = code(
        version,
        Spec {
            name: "m",
            flags: method_flags,
            consts: method_consts,
            names: &[],
            line: 4,
        },
        "C.m",
    );
    let class = code(
        version,
        Spec {
            name: "C",
            flags: 0,
            consts: vec![text("C"), text("Class doc."), method],
            names: &["__name__", "__module__", "__qualname__", "__doc__", "m"],
            line: 2,
        },
        "C",
    );
    let (top_flags, top_consts) = function_doc(false);
    let top = code(
        version,
        Spec {
            name: "top",
            flags: top_flags,
            consts: top_consts,
            names: &["__doc__"],
            line: 8,
        },
        "top",
    );
    code(
        version,
        Spec {
            name: "<module>",
            flags: 0,
            consts: vec![text("Module doc."), class, text("C"), top],
            names: &["__doc__", "C", "top"],
            line: 1,
        },
        "<module>",
    )
}

#[test]
fn every_layout_from_3_8_to_3_14_is_summarized_alike() {
    for minor in 8..=14 {
        let version = PythonVersion::new(3, minor);
        let object =
            marshal::read(&module(version), version).unwrap_or_else(|e| panic!("3.{minor}: {e}"));
        let summary = CodeSummary::of(&object, version).expect("code");
        let seen: Vec<(CodeKind, &str, i32, bool)> = summary
            .objects
            .iter()
            .map(|o| (o.kind, o.qualname.as_str(), o.first_line, o.has_docstring))
            .collect();
        assert_eq!(
            seen,
            [
                (CodeKind::Module, "<module>", 1, true),
                (CodeKind::Class, "C", 2, true),
                (CodeKind::Function, "C.m", 4, true),
                (CodeKind::Function, "C.m.<locals>.inner", 5, false),
                (CodeKind::Function, "top", 8, false),
            ],
            "3.{minor}"
        );
        assert_eq!(summary.filename, "/src/mod.py");
        assert_eq!(
            marshal::first_filename(&module(version), version),
            Ok(Some("/src/mod.py".into()))
        );
    }
}

#[test]
fn a_generic_class_binds_its_type_parameters_before_its_docstring() {
    // 3.12's PEP 695 class body: `.type_params` and `__type_params__` precede `__doc__`.
    let version = PythonVersion::new(3, 12);
    let class = code(
        version,
        Spec {
            name: "C",
            flags: 0,
            consts: vec![text("C"), text("Generic doc.")],
            names: &[
                "__name__",
                "__module__",
                "__qualname__",
                ".type_params",
                "__type_params__",
                "__doc__",
            ],
            line: 1,
        },
        "C",
    );
    let module = code(
        version,
        Spec {
            name: "<module>",
            flags: 0,
            consts: vec![class],
            names: &["C"],
            line: 1,
        },
        "<module>",
    );
    let object = marshal::read(&module, version).expect("reads");
    let summary = CodeSummary::of(&object, version).expect("code");
    assert_eq!(summary.objects[1].qualname, "C");
    assert!(summary.objects[1].has_docstring);
    assert!(!summary.objects[0].has_docstring);
}

#[test]
fn a_code_object_referenced_a_million_times_is_summarized_in_bounded_work() {
    // consts = (flagged code object, then 1,000,000 references to it): 5 MB of
    // input that would otherwise unfold into a million summaries.
    let version = PythonVersion::new(3, 11);
    let mut child = code(
        version,
        Spec {
            name: "f",
            flags: 0x2,
            consts: vec![b"N".to_vec()],
            names: &[],
            line: 2,
        },
        &"q".repeat(1000),
    );
    child[0] |= 0x80; // FLAG_REF: reference index 0
    let mut consts = vec![child];
    consts.extend(std::iter::repeat_n(
        b"r\x00\x00\x00\x00".to_vec(),
        1_000_000,
    ));
    let module = code(
        version,
        Spec {
            name: "<module>",
            flags: 0,
            consts,
            names: &[],
            line: 1,
        },
        "<module>",
    );
    let started = std::time::Instant::now();
    let object = marshal::read(&module, version).expect("reads");
    let summary = CodeSummary::of(&object, version).expect("code");
    assert!(summary.truncated);
    assert!(summary.objects.len() <= 100_000);
    assert!(started.elapsed() < std::time::Duration::from_secs(30));
}
