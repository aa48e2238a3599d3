//! Byte-level mutations of a real file (bytes set, inserted, removed, the end
//! cut off), as proptest strategies: what the property tests over the
//! `fuzzing` entry points apply to their seeds. Shared by the crates' tests
//! with `#[path]`, so every crate mutates alike.

use proptest::prelude::*;

#[derive(Debug, Clone)]
pub enum Mutation {
    Set(usize, u8),
    Insert(usize, Vec<u8>),
    Remove(usize, usize),
    Truncate(usize),
}

pub fn mutation() -> impl Strategy<Value = Mutation> {
    prop_oneof![
        4 => (any::<usize>(), any::<u8>()).prop_map(|(at, b)| Mutation::Set(at, b)),
        1 => (any::<usize>(), proptest::collection::vec(any::<u8>(), 1..16)).prop_map(|(at, b)| Mutation::Insert(at, b)),
        1 => (any::<usize>(), 1..64usize).prop_map(|(at, n)| Mutation::Remove(at, n)),
        1 => any::<usize>().prop_map(Mutation::Truncate),
    ]
}

/// A few mutations in a row.
pub fn mutations() -> impl Strategy<Value = Vec<Mutation>> {
    proptest::collection::vec(mutation(), 1..8)
}

/// `data` with `mutations` applied in order.
pub fn mutated(data: &[u8], mutations: &[Mutation]) -> Vec<u8> {
    let mut data = data.to_vec();
    for mutation in mutations {
        apply(&mut data, mutation);
    }
    data
}

fn apply(data: &mut Vec<u8>, mutation: &Mutation) {
    if data.is_empty() {
        return;
    }
    match mutation {
        Mutation::Set(at, b) => {
            let at = at % data.len();
            data[at] = *b;
        }
        Mutation::Insert(at, bytes) => {
            let at = at % data.len();
            data.splice(at..at, bytes.iter().copied());
        }
        Mutation::Remove(at, n) => {
            let at = at % data.len();
            let end = (at + n).min(data.len());
            data.drain(at..end);
        }
        Mutation::Truncate(len) => data.truncate(len % data.len()),
    }
}
