//! Whether a shared library still has the layout its linker gave it, read
//! from its section headers without trusting them.
//!
//! Linkers (ld.bfd, gold, lld, mold) place every allocated section (code,
//! data, `.dynstr`, `.dynamic`: what the loader maps) before the sections
//! only tools read (`.comment`, `.symtab`, `.strtab`, `.shstrtab`, debug
//! information), and `strip` relies on that order. patchelf, when it grows
//! `.dynstr` or moves the notes and `.dynamic` (auditwheel's rpath and soname
//! changes, delocate's on macOS), cannot grow them in place: it copies them
//! past the old end of the file, behind the non-allocated sections, in new
//! `PT_LOAD` segments. `strip` then rebuilds a layout whose load segments are
//! no longer page-aligned ("ELF load command address/offset not
//! page-aligned" at `dlopen`). So: an allocated section that lies after a
//! non-allocated one in the file means the layout was rewritten.
//!
//! Checked on numpy 2.4's wheel: its three `numpy.libs/` libraries and the
//! three extension modules auditwheel gave an rpath to are found; none of
//! 1,147 shared libraries of Debian and pyenv's CPythons is.

/// What the section headers say of a file's layout.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum ElfLayout {
    /// Allocated sections first, as a linker lays them out.
    AsLinked,
    /// An allocated section after a non-allocated one: rewritten after linking.
    Rewritten,
    /// Not an ELF file pyprune can read the sections of (why).
    Unreadable(&'static str),
}

const SHF_ALLOC: u64 = 0x2;
const SHT_NOBITS: u32 = 8;

/// The layout of the ELF file `bytes`.
pub(crate) fn elf_layout(bytes: &[u8]) -> ElfLayout {
    match sections(bytes) {
        Ok(sections) => {
            let last_alloc = sections.iter().filter(|s| s.alloc).map(|s| s.offset).max();
            let first_other = sections.iter().filter(|s| !s.alloc).map(|s| s.offset).min();
            match (last_alloc, first_other) {
                (Some(alloc), Some(other)) if alloc > other => ElfLayout::Rewritten,
                _ => ElfLayout::AsLinked,
            }
        }
        Err(why) => ElfLayout::Unreadable(why),
    }
}

/// A section with bytes in the file.
struct Section {
    offset: u64,
    alloc: bool,
}

/// The sections of `bytes` that occupy file bytes (not `SHT_NOBITS`, not empty).
fn sections(bytes: &[u8]) -> Result<Vec<Section>, &'static str> {
    if bytes.get(..4) != Some(b"\x7fELF") {
        return Err("not an ELF file");
    }
    let wide = match bytes.get(4) {
        Some(1) => false,
        Some(2) => true,
        _ => return Err("an ELF class other than 32 or 64 bits"),
    };
    let little = match bytes.get(5) {
        Some(1) => true,
        Some(2) => false,
        _ => return Err("an ELF byte order other than little or big endian"),
    };
    let read = |at: u64, width: usize| -> Result<u64, &'static str> {
        let at = usize::try_from(at).map_err(|_| "a section header past the end")?;
        let field = bytes
            .get(
                at..at
                    .checked_add(width)
                    .ok_or("a section header past the end")?,
            )
            .ok_or("a section header past the end")?;
        let mut value = 0u64;
        for (i, byte) in field.iter().enumerate() {
            let shift = if little { i } else { width - 1 - i };
            value |= u64::from(*byte) << (8 * shift);
        }
        Ok(value)
    };
    // ELF header: e_shoff, e_shentsize, e_shnum; section header: sh_type,
    // sh_flags, sh_offset, sh_size (gABI, both classes).
    let (shoff, shentsize, shnum) = if wide {
        (read(0x28, 8)?, read(0x3A, 2)?, read(0x3C, 2)?)
    } else {
        (read(0x20, 4)?, read(0x2E, 2)?, read(0x30, 2)?)
    };
    if shnum == 0 {
        // No section headers, or more than 65,279 (the count is then elsewhere).
        return Err("no section headers to read");
    }
    let word = if wide { 8 } else { 4 };
    let (flags_at, offset_at) = if wide { (8, 24) } else { (8, 16) };
    let mut found = Vec::new();
    for index in 1..shnum {
        let header = shoff
            .checked_add(index * shentsize)
            .ok_or("a section header past the end")?;
        let kind = read(header + 4, 4)? as u32;
        let flags = read(header + flags_at, word)?;
        let offset = read(header + offset_at, word)?;
        let size = read(header + offset_at + word as u64, word)?;
        if kind == SHT_NOBITS || size == 0 {
            continue;
        }
        found.push(Section {
            offset,
            alloc: flags & SHF_ALLOC != 0,
        });
    }
    Ok(found)
}

#[cfg(test)]
pub(crate) mod tests {
    use super::*;

    /// A 64-bit little-endian ELF header with these sections (type, flags, offset, size).
    pub(crate) fn elf64(sections: &[(u32, u64, u64, u64)]) -> Vec<u8> {
        let shoff = 64u64;
        let mut bytes = vec![0u8; 64];
        bytes[..6].copy_from_slice(b"\x7fELF\x02\x01");
        bytes[0x28..0x30].copy_from_slice(&shoff.to_le_bytes());
        bytes[0x3A..0x3C].copy_from_slice(&64u16.to_le_bytes());
        bytes[0x3C..0x3E].copy_from_slice(&(sections.len() as u16 + 1).to_le_bytes());
        bytes.extend([0u8; 64]);
        for (kind, flags, offset, size) in sections {
            let mut header = [0u8; 64];
            header[4..8].copy_from_slice(&kind.to_le_bytes());
            header[8..16].copy_from_slice(&flags.to_le_bytes());
            header[24..32].copy_from_slice(&offset.to_le_bytes());
            header[32..40].copy_from_slice(&size.to_le_bytes());
            bytes.extend(header);
        }
        bytes
    }

    const PROGBITS: u32 = 1;
    const STRTAB: u32 = 3;

    #[test]
    fn allocated_sections_after_the_others_mean_a_rewritten_layout() {
        // .text, .dynstr, then .comment and .shstrtab: as linked.
        let linked = [
            (PROGBITS, 6, 0x1000, 0x100),
            (STRTAB, 2, 0x1100, 0x40),
            (PROGBITS, 0, 0x2000, 0x20),
            (STRTAB, 0, 0x2020, 0x30),
        ];
        assert_eq!(elf_layout(&elf64(&linked)), ElfLayout::AsLinked);
        // patchelf moved .dynstr past .shstrtab.
        let mut moved = linked;
        moved[1].2 = 0x3000;
        assert_eq!(elf_layout(&elf64(&moved)), ElfLayout::Rewritten);
        // .bss (no bytes in the file) and empty sections do not count.
        let mut bss = linked;
        bss[1] = (SHT_NOBITS, 3, 0x3000, 0x100);
        assert_eq!(elf_layout(&elf64(&bss)), ElfLayout::AsLinked);
    }

    #[test]
    fn what_cannot_be_read_is_said_not_guessed() {
        assert_eq!(
            elf_layout(b"not an ELF file"),
            ElfLayout::Unreadable("not an ELF file")
        );
        let mut truncated = elf64(&[(PROGBITS, 6, 0x1000, 0x100)]);
        truncated.truncate(100);
        assert_eq!(
            elf_layout(&truncated),
            ElfLayout::Unreadable("a section header past the end")
        );
        let mut huge = elf64(&[(PROGBITS, 6, 0x1000, 0x100)]);
        huge[0x28..0x30].copy_from_slice(&u64::MAX.to_le_bytes());
        assert_eq!(
            elf_layout(&huge),
            ElfLayout::Unreadable("a section header past the end")
        );
        assert_eq!(
            elf_layout(&elf64(&[])[..0x3C]),
            ElfLayout::Unreadable("a section header past the end")
        );
    }
}
