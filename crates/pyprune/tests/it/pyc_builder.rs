//! Builds pycs in layouts no interpreter on this machine writes (3.10's code
//! objects), from the marshal format itself, so that readers of other releases
//! can be exercised.

fn long(out: &mut Vec<u8>, value: i32) {
    out.extend_from_slice(&value.to_le_bytes());
}

fn str_obj(out: &mut Vec<u8>, text: &str) {
    out.push(b'u');
    long(out, i32::try_from(text.len()).expect("short"));
    out.extend_from_slice(text.as_bytes());
}

fn tuple(out: &mut Vec<u8>, items: &[Vec<u8>]) {
    out.push(b'(');
    long(out, i32::try_from(items.len()).expect("short"));
    for item in items {
        out.extend_from_slice(item);
    }
}

/// A marshalled 3.10 code object (`co_filename`, `co_name`, constants).
pub fn code_310(filename: &str, name: &str, consts: &[Vec<u8>]) -> Vec<u8> {
    let mut out = vec![b'c'];
    for field in [0, 0, 0, 0, 1, 0x40] {
        // argcount, posonlyargcount, kwonlyargcount, nlocals, stacksize, flags
        long(&mut out, field);
    }
    out.extend_from_slice(b"s\x02\x00\x00\x00\x64\x00"); // co_code
    tuple(&mut out, consts);
    for _ in 0..4 {
        tuple(&mut out, &[]); // names, varnames, freevars, cellvars
    }
    str_obj(&mut out, filename);
    str_obj(&mut out, name);
    long(&mut out, 1); // firstlineno
    out.extend_from_slice(b"s\x00\x00\x00\x00"); // linetable
    out
}
