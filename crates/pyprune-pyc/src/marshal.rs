//! A reader for CPython's marshal format (versions 0–5) that survives any
//! bytes: recursion is bounded, every length is checked against the bytes
//! left before anything is allocated, and references are resolved to shared
//! (`Rc`) objects so that a reference costs no copy.

use crate::magic::PythonVersion;
use std::rc::Rc;

/// How deep objects may nest: CPython's own bound (`MAX_MARSHAL_STACK_DEPTH`).
pub const MAX_DEPTH: usize = 2000;

/// Below this much free stack, a nested read continues on a fresh segment.
const STACK_RED_ZONE: usize = 64 * 1024;
const STACK_SEGMENT: usize = 1024 * 1024;

pub(crate) const FLAG_REF: u8 = 0x80;

/// An unmarshalled object. Cheap to clone: containers and strings are shared.
#[derive(Debug, Clone, PartialEq)]
pub enum Object {
    Null,
    None,
    False,
    True,
    StopIteration,
    Ellipsis,
    Int(i64),
    /// An integer too large for 64 bits; its digits are not kept.
    Long {
        negative: bool,
        digits: u32,
    },
    Float(f64),
    Complex(f64, f64),
    Bytes(Rc<[u8]>),
    /// Text; invalid UTF-8 (lone surrogates) is replaced.
    Str(Rc<str>),
    Tuple(Rc<[Object]>),
    List(Rc<[Object]>),
    Dict(Rc<[(Object, Object)]>),
    Set(Rc<[Object]>),
    FrozenSet(Rc<[Object]>),
    Slice(Rc<[Object; 3]>),
    Code(Rc<Code>),
    /// Text not decoded, from a skimming read: bytes `start..start + len` of the input.
    Span {
        start: usize,
        len: usize,
    },
    /// A container or bytes whose contents a skimming read did not keep.
    Skipped,
}

impl Object {
    pub fn as_str(&self) -> Option<&str> {
        match self {
            Object::Str(s) => Some(s),
            _ => None,
        }
    }

    /// The items of a tuple or list.
    pub fn items(&self) -> &[Object] {
        match self {
            Object::Tuple(items) | Object::List(items) => items,
            _ => &[],
        }
    }
}

/// Dropping a deeply nested object must not recurse as deep as it nests: the
/// children of a uniquely owned container are moved onto a heap stack first.
impl Drop for Object {
    fn drop(&mut self) {
        let mut pending = Vec::new();
        detach_children(self, &mut pending);
        while let Some(mut object) = pending.pop() {
            detach_children(&mut object, &mut pending);
        }
    }
}

fn detach_children(object: &mut Object, pending: &mut Vec<Object>) {
    let take = |item: &mut Object| std::mem::replace(item, Object::None);
    match object {
        Object::Tuple(items)
        | Object::List(items)
        | Object::Set(items)
        | Object::FrozenSet(items) => {
            if let Some(items) = Rc::get_mut(items) {
                pending.extend(items.iter_mut().map(take));
            }
        }
        Object::Dict(pairs) => {
            if let Some(pairs) = Rc::get_mut(pairs) {
                for (key, value) in pairs.iter_mut() {
                    pending.push(take(key));
                    pending.push(take(value));
                }
            }
        }
        Object::Slice(parts) => {
            if let Some(parts) = Rc::get_mut(parts) {
                pending.extend(parts.iter_mut().map(take));
            }
        }
        Object::Code(code) => {
            if let Some(code) = Rc::get_mut(code) {
                pending.extend(
                    [
                        &mut code.consts,
                        &mut code.names,
                        &mut code.filename,
                        &mut code.name,
                    ]
                    .map(take),
                );
                pending.extend(code.qualname.take());
            }
        }
        _ => {}
    }
}

/// A code object: the fields pyprune looks at, for every layout from 3.0 to 3.14.
#[derive(Debug, Clone, PartialEq)]
pub struct Code {
    pub argcount: i32,
    pub flags: u32,
    pub consts: Object,
    pub names: Object,
    pub filename: Object,
    pub name: Object,
    /// `co_qualname`, marshalled from 3.11 on.
    pub qualname: Option<Object>,
    pub first_line: i32,
}

/// Why marshal data could not be read.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum MarshalError {
    #[error("marshal data ends early (at byte {0})")]
    Truncated(usize),
    #[error("unknown marshal type {byte:#04x} at byte {offset}")]
    UnknownType { byte: u8, offset: usize },
    #[error("marshal data nests deeper than {MAX_DEPTH} levels")]
    TooDeep,
    #[error("bad marshal size {size} at byte {offset}")]
    BadSize { size: i64, offset: usize },
    #[error("bad reference {index} at byte {offset}")]
    BadReference { index: u32, offset: usize },
    #[error("unreadable float at byte {0}")]
    BadFloat(usize),
    #[error("NULL object where a value is required, at byte {0}")]
    UnexpectedNull(usize),
}

/// Reads one object from `data` (what follows a .pyc header), laid out as CPython `version` writes it.
pub fn read(data: &[u8], version: PythonVersion) -> Result<Object, MarshalError> {
    read_prefix(data, version).map(|(object, _)| object)
}

/// Like [`read`], and also says how many bytes the object took.
pub fn read_prefix(data: &[u8], version: PythonVersion) -> Result<(Object, usize), MarshalError> {
    let mut reader = Reader::new(data, version, false);
    match reader.object() {
        Ok(object) => Ok((object, reader.pos)),
        Err(Halt::Error(e)) => Err(e),
        Err(Halt::Filename(_)) => {
            unreachable!("only a reader told to stop at a file name stops there")
        }
    }
}

/// Where a code object's file name is written out in full, what it is, and
/// the reference index it was given (if flagged).
pub(crate) type FilenameSpan = (std::ops::Range<usize>, Object, Option<u32>);

/// How `data` names its files: every `co_filename` written out as a string,
/// and how references use them.
#[derive(Debug, Default)]
pub(crate) struct Filenames {
    pub spans: Vec<FilenameSpan>,
    /// The reference index of every `co_filename` written as a reference.
    pub referenced_as_filename: Vec<u32>,
    /// The index of every reference anywhere (those of file names included).
    pub referenced: Vec<u32>,
    /// Where the object ends.
    pub end: usize,
}

/// Every `co_filename` of `data` and the references to any object. A module
/// CPython compiled writes one such name in full; its other code objects
/// refer to it.
pub(crate) fn filenames(data: &[u8], version: PythonVersion) -> Result<Filenames, MarshalError> {
    let mut reader = Reader::new(data, version, false);
    reader.track_references = true;
    match reader.object() {
        Ok(_) => Ok(Filenames {
            spans: reader.filename_spans,
            referenced_as_filename: reader.filename_references,
            referenced: reader.references.iter().map(|&(_, index)| index).collect(),
            end: reader.pos,
        }),
        Err(Halt::Error(e)) => Err(e),
        Err(Halt::Filename(_)) => {
            unreachable!("only a reader told to stop at a file name stops there")
        }
    }
}

/// Where `data` marks objects for reference and where it refers to them.
#[derive(Debug, Default)]
pub(crate) struct References {
    /// The offset of every object written with `FLAG_REF`, by reference index.
    pub flagged: Vec<usize>,
    /// The offset of every reference (`r` and its index) and the index it names.
    pub uses: Vec<(usize, u32)>,
    /// Where the object ends.
    pub end: usize,
}

/// Every reference mark and every reference of `data`, as offsets.
pub(crate) fn references(data: &[u8], version: PythonVersion) -> Result<References, MarshalError> {
    let mut reader = Reader::new(data, version, false);
    reader.track_references = true;
    reader.skim = true;
    match reader.object() {
        Ok(_) => Ok(References {
            flagged: reader.flagged,
            uses: reader.references,
            end: reader.pos,
        }),
        Err(Halt::Error(e)) => Err(e),
        Err(Halt::Filename(_)) => {
            unreachable!("only a reader told to stop at a file name stops there")
        }
    }
}

/// The `co_filename` of the first code object in `data`, reading no further
/// than needed. Every code object of a compiled module carries the same file
/// name, and the first one met ends within the first few kilobytes of most
/// pycs, so this reads far less than [`read`]. `Ok(None)`: no code object.
pub fn first_filename(data: &[u8], version: PythonVersion) -> Result<Option<String>, MarshalError> {
    let mut reader = Reader::new(data, version, true);
    match reader.object() {
        Ok(_) => Ok(None),
        Err(Halt::Filename(name)) => Ok(Some(name)),
        Err(Halt::Error(e)) => Err(e),
    }
}

/// What a skimming read keeps of a string: where it is.
fn span_text(data: &[u8], object: &Object) -> Option<String> {
    match object {
        Object::Str(text) => Some(text.to_string()),
        Object::Span { start, len } => data
            .get(*start..start + len)
            .map(|bytes| String::from_utf8_lossy(bytes).into_owned()),
        _ => None,
    }
}

/// Why the reader stopped before the end of an object.
enum Halt {
    Error(MarshalError),
    /// A reader told to stop at the first file name found one.
    Filename(String),
}

impl From<MarshalError> for Halt {
    fn from(error: MarshalError) -> Halt {
        Halt::Error(error)
    }
}

struct Reader<'a> {
    data: &'a [u8],
    pos: usize,
    depth: usize,
    /// Objects flagged for reference, by index; `None` while still being read.
    refs: Vec<Option<Object>>,
    version: PythonVersion,
    /// Stop at the first code object's file name (a skimming read).
    stop_at_filename: bool,
    /// Keep no contents (strings as spans, containers skipped): set with
    /// `stop_at_filename`, and alone where only the layout counts ([`references`]).
    skim: bool,
    /// Where each code object's file name was written out in full, and what it was.
    filename_spans: Vec<FilenameSpan>,
    /// Record every reference used and every object flagged (for [`filenames`], [`references`]).
    track_references: bool,
    /// Offset and index of every reference.
    references: Vec<(usize, u32)>,
    /// Offset of every flagged object, by index.
    flagged: Vec<usize>,
    filename_references: Vec<u32>,
}

impl<'a> Reader<'a> {
    fn new(data: &'a [u8], version: PythonVersion, stop_at_filename: bool) -> Reader<'a> {
        Reader {
            data,
            pos: 0,
            depth: 0,
            refs: Vec::new(),
            version,
            stop_at_filename,
            skim: stop_at_filename,
            filename_spans: Vec::new(),
            track_references: false,
            references: Vec::new(),
            flagged: Vec::new(),
            filename_references: Vec::new(),
        }
    }

    fn take(&mut self, n: usize) -> Result<&[u8], MarshalError> {
        let end = self
            .pos
            .checked_add(n)
            .filter(|&end| end <= self.data.len());
        let end = end.ok_or(MarshalError::Truncated(self.data.len()))?;
        let bytes = &self.data[self.pos..end];
        self.pos = end;
        Ok(bytes)
    }

    fn byte(&mut self) -> Result<u8, MarshalError> {
        Ok(self.take(1)?[0])
    }

    fn u32(&mut self) -> Result<u32, MarshalError> {
        let b = self.take(4)?;
        Ok(u32::from_le_bytes([b[0], b[1], b[2], b[3]]))
    }

    fn i32(&mut self) -> Result<i32, MarshalError> {
        Ok(self.u32()? as i32)
    }

    fn remaining(&self) -> usize {
        self.data.len() - self.pos
    }

    /// A count of items that each take at least `min_bytes`: never more than the bytes left allow.
    fn count(&mut self, min_bytes: usize, offset: usize) -> Result<usize, MarshalError> {
        let size = self.i32()?;
        let bad = MarshalError::BadSize {
            size: i64::from(size),
            offset,
        };
        let size = usize::try_from(size).map_err(|_| bad.clone())?;
        if size.saturating_mul(min_bytes) > self.remaining() {
            return Err(bad);
        }
        Ok(size)
    }

    fn object(&mut self) -> Result<Object, Halt> {
        self.depth += 1;
        if self.depth > MAX_DEPTH {
            return Err(MarshalError::TooDeep.into());
        }
        // Deep nesting must not overflow whatever thread the reader runs on.
        let result = stacker::maybe_grow(STACK_RED_ZONE, STACK_SEGMENT, || self.object_inner());
        self.depth -= 1;
        result
    }

    /// An object that must not be the NULL marker.
    fn value(&mut self) -> Result<Object, Halt> {
        let offset = self.pos;
        match self.object()? {
            Object::Null => Err(MarshalError::UnexpectedNull(offset).into()),
            object => Ok(object),
        }
    }

    fn object_inner(&mut self) -> Result<Object, Halt> {
        let offset = self.pos;
        let code = self.byte()?;
        let flagged = code & FLAG_REF != 0;
        let kind = code & !FLAG_REF;
        if kind == b'r' {
            return Ok(self.reference(offset)?);
        }
        // Containers and code get their reference index before their contents, as in CPython.
        let container = matches!(kind, b'(' | b')' | b'[' | b'{' | b'<' | b'>' | b'c' | b':');
        if flagged && self.track_references {
            // Indices follow the order flagged objects start in, containers and scalars alike.
            self.flagged.push(offset);
        }
        let slot = (flagged && container).then(|| {
            self.refs.push(None);
            self.refs.len() - 1
        });
        let object = if container {
            self.container(kind, offset)?
        } else {
            self.scalar(code, kind, offset)?
        };
        match slot {
            Some(slot) => self.refs[slot] = Some(object.clone()),
            None if flagged => self.refs.push(Some(object.clone())),
            None => {}
        }
        Ok(object)
    }

    /// The objects that contain others: the only recursive ones, kept in their own
    /// small frame so that deep nesting costs little stack.
    #[inline(never)]
    fn container(&mut self, kind: u8, offset: usize) -> Result<Object, Halt> {
        if self.skim && kind != b'c' {
            return self.skip_container(kind, offset);
        }
        Ok(match kind {
            b')' => {
                let n = usize::from(self.byte()?);
                Object::Tuple(self.values(n)?)
            }
            b'{' => {
                let mut pairs = Vec::new();
                loop {
                    let key = self.object()?;
                    if key == Object::Null {
                        break;
                    }
                    pairs.push((key, self.value()?));
                }
                Object::Dict(Rc::from(pairs))
            }
            b':' => Object::Slice(Rc::new([self.value()?, self.value()?, self.value()?])),
            b'c' => Object::Code(Rc::new(self.code()?)),
            _ => {
                let n = self.count(1, offset)?;
                let items = self.values(n)?;
                match kind {
                    b'(' => Object::Tuple(items),
                    b'[' => Object::List(items),
                    b'<' => Object::Set(items),
                    _ => Object::FrozenSet(items),
                }
            }
        })
    }

    /// Reads a container's contents without keeping them.
    fn skip_container(&mut self, kind: u8, offset: usize) -> Result<Object, Halt> {
        let n = match kind {
            b')' => usize::from(self.byte()?),
            b'{' => {
                while self.object()? != Object::Null {
                    self.value()?;
                }
                return Ok(Object::Skipped);
            }
            b':' => 3,
            _ => self.count(1, offset)?,
        };
        for _ in 0..n {
            self.value()?;
        }
        Ok(Object::Skipped)
    }

    #[inline(never)]
    fn reference(&mut self, offset: usize) -> Result<Object, MarshalError> {
        let index = self.u32()?;
        if self.track_references {
            self.references.push((offset, index));
        }
        let bad = MarshalError::BadReference { index, offset };
        self.refs.get(index as usize).cloned().flatten().ok_or(bad)
    }

    #[inline(never)]
    fn scalar(&mut self, code: u8, kind: u8, offset: usize) -> Result<Object, MarshalError> {
        Ok(match kind {
            b'0' => Object::Null,
            b'N' => Object::None,
            b'F' => Object::False,
            b'T' => Object::True,
            b'S' => Object::StopIteration,
            b'.' => Object::Ellipsis,
            b'i' => Object::Int(i64::from(self.i32()?)),
            b'I' => {
                let b = self.take(8)?;
                Object::Int(i64::from_le_bytes([
                    b[0], b[1], b[2], b[3], b[4], b[5], b[6], b[7],
                ]))
            }
            b'l' => {
                let size = self.i32()?;
                let digits = size.unsigned_abs();
                if (digits as usize).saturating_mul(2) > self.remaining() {
                    return Err(MarshalError::BadSize {
                        size: i64::from(size),
                        offset,
                    });
                }
                self.take(digits as usize * 2)?;
                Object::Long {
                    negative: size < 0,
                    digits,
                }
            }
            b'g' => Object::Float(self.binary_float()?),
            b'y' => Object::Complex(self.binary_float()?, self.binary_float()?),
            b'f' => Object::Float(self.text_float()?),
            b'x' => Object::Complex(self.text_float()?, self.text_float()?),
            b's' => {
                let n = self.count(1, offset)?;
                let skim = self.skim;
                let bytes = self.take(n)?;
                if skim {
                    Object::Skipped
                } else {
                    Object::Bytes(Rc::from(bytes))
                }
            }
            b'u' | b't' | b'a' | b'A' => {
                let n = self.count(1, offset)?;
                self.string(n)?
            }
            b'z' | b'Z' => {
                let n = usize::from(self.byte()?);
                self.string(n)?
            }
            _ => return Err(MarshalError::UnknownType { byte: code, offset }),
        })
    }

    fn values(&mut self, n: usize) -> Result<Rc<[Object]>, Halt> {
        let mut items = Vec::with_capacity(n);
        for _ in 0..n {
            items.push(self.value()?);
        }
        Ok(Rc::from(items))
    }

    /// Text of `n` bytes: decoded, or only located when skimming.
    fn string(&mut self, n: usize) -> Result<Object, MarshalError> {
        let (start, skim) = (self.pos, self.skim);
        let bytes = self.take(n)?;
        Ok(if skim {
            Object::Span { start, len: n }
        } else {
            Object::Str(text(bytes))
        })
    }

    fn binary_float(&mut self) -> Result<f64, MarshalError> {
        let b = self.take(8)?;
        Ok(f64::from_le_bytes([
            b[0], b[1], b[2], b[3], b[4], b[5], b[6], b[7],
        ]))
    }

    fn text_float(&mut self) -> Result<f64, MarshalError> {
        let offset = self.pos;
        let n = usize::from(self.byte()?);
        let bytes = self.take(n)?;
        std::str::from_utf8(bytes)
            .ok()
            .and_then(|s| s.trim().parse().ok())
            .ok_or(MarshalError::BadFloat(offset))
    }

    /// A code object's fields, in the order `version` marshals them.
    fn code(&mut self) -> Result<Code, Halt> {
        let v = self.version;
        let argcount = self.i32()?;
        if v >= PythonVersion::new(3, 8) {
            self.i32()?; // co_posonlyargcount
        }
        self.i32()?; // co_kwonlyargcount
        if v < PythonVersion::new(3, 11) {
            self.i32()?; // co_nlocals
        }
        self.i32()?; // co_stacksize
        let flags = self.u32()?;
        self.value()?; // co_code
        let consts = self.value()?;
        let names = self.value()?;
        if v < PythonVersion::new(3, 11) {
            self.value()?; // co_varnames
            self.value()?; // co_freevars
            self.value()?; // co_cellvars
        } else {
            self.value()?; // co_localsplusnames
            self.value()?; // co_localspluskinds
        }
        let start = self.pos;
        let filename = self.value()?;
        if self.data[start] & !FLAG_REF == b'r' {
            if let Some(&(_, index)) = self.references.last() {
                self.filename_references.push(index);
            }
        } else {
            // A flagged string takes the next reference index once read.
            let index = (self.data[start] & FLAG_REF != 0)
                .then(|| self.refs.len().checked_sub(1))
                .flatten()
                .and_then(|i| u32::try_from(i).ok());
            self.filename_spans
                .push((start..self.pos, filename.clone(), index));
        }
        if self.stop_at_filename {
            return Err(Halt::Filename(
                span_text(self.data, &filename).unwrap_or_default(),
            ));
        }
        let name = self.value()?;
        let qualname = if v >= PythonVersion::new(3, 11) {
            Some(self.value()?)
        } else {
            None
        };
        let first_line = self.i32()?;
        self.value()?; // co_lnotab / co_linetable
        if v >= PythonVersion::new(3, 11) {
            self.value()?; // co_exceptiontable
        }
        Ok(Code {
            argcount,
            flags,
            consts,
            names,
            filename,
            name,
            qualname,
            first_line,
        })
    }
}

/// Marshal writes text as UTF-8 with `surrogatepass`; lone surrogates become U+FFFD here.
fn text(bytes: &[u8]) -> Rc<str> {
    Rc::from(String::from_utf8_lossy(bytes).as_ref())
}

#[cfg(test)]
mod tests {
    use super::*;

    const V311: PythonVersion = PythonVersion::new(3, 11);

    #[test]
    fn reads_scalars_and_containers() {
        assert_eq!(read(b"N", V311), Ok(Object::None));
        assert_eq!(read(b"i\x05\x00\x00\x00", V311), Ok(Object::Int(5)));
        assert_eq!(read(b"z\x02hi", V311), Ok(Object::Str(Rc::from("hi"))));
        let tuple = read(b")\x02TF", V311).expect("tuple");
        assert_eq!(tuple.items(), &[Object::True, Object::False]);
        assert_eq!(read(b"f\x031.5", V311), Ok(Object::Float(1.5)));
        assert_eq!(
            read(b"{z\x01aN0", V311).map(|d| matches!(&d, Object::Dict(p) if p.len() == 1)),
            Ok(true)
        );
    }

    #[test]
    fn resolves_references() {
        // A flagged string, then a reference to it inside a tuple.
        let data = b")\x02\xda\x02abr\x00\x00\x00\x00";
        let tuple = read(data, V311).expect("tuple");
        assert_eq!(
            tuple.items(),
            &[Object::Str(Rc::from("ab")), Object::Str(Rc::from("ab"))]
        );
    }

    #[test]
    fn rejects_hostile_input_without_allocating() {
        assert!(matches!(
            read(b"(\xff\xff\xff\x7f", V311),
            Err(MarshalError::BadSize { .. })
        ));
        assert!(matches!(
            read(b"s\xff\xff\xff\xff", V311),
            Err(MarshalError::BadSize { .. })
        ));
        assert!(matches!(
            read(b"l\x00\x00\x00\x80", V311),
            Err(MarshalError::BadSize { .. })
        ));
        assert!(matches!(
            read(b"r\x00\x00\x00\x00", V311),
            Err(MarshalError::BadReference { .. })
        ));
        // A tuple that refers to itself while it is being read.
        assert!(matches!(
            read(b"\xa9\x01r\x00\x00\x00\x00", V311),
            Err(MarshalError::BadReference { .. })
        ));
        assert!(matches!(
            read(b")\x010", V311),
            Err(MarshalError::UnexpectedNull(_))
        ));
        assert!(matches!(
            read(b"Q", V311),
            Err(MarshalError::UnknownType { .. })
        ));
        assert!(matches!(read(b"", V311), Err(MarshalError::Truncated(0))));
        let deep = [b")\x01".repeat(MAX_DEPTH + 1), b"N".to_vec()].concat();
        assert_eq!(read(&deep, V311), Err(MarshalError::TooDeep));
        let ok = [b")\x01".repeat(MAX_DEPTH - 1), b"N".to_vec()].concat();
        assert!(read(&ok, V311).is_ok());
    }
}
