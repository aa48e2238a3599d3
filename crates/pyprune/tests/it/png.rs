//! Just enough PNG reading to count a screenshot's pixels by colour: 8-bit
//! RGB or RGBA, not interlaced (what Chromium writes), inflated by flate2
//! and unfiltered as the PNG specification says.

use std::collections::HashMap;
use std::io::Read as _;

/// The screenshot's width, height, and how many pixels have each colour (`0xRRGGBB`).
pub fn colour_counts(png: &[u8]) -> (u32, u32, HashMap<u32, u64>) {
    assert_eq!(&png[..8], b"\x89PNG\r\n\x1a\n", "not a PNG");
    let (mut pos, mut header, mut idat) = (8, None, Vec::new());
    while pos + 8 <= png.len() {
        let length = u32::from_be_bytes(png[pos..pos + 4].try_into().expect("4 bytes")) as usize;
        let kind = &png[pos + 4..pos + 8];
        let body = &png[pos + 8..pos + 8 + length];
        match kind {
            b"IHDR" => header = Some(body.to_vec()),
            b"IDAT" => idat.extend_from_slice(body),
            _ => {}
        }
        pos += 12 + length;
    }
    let header = header.expect("IHDR");
    let width = u32::from_be_bytes(header[0..4].try_into().expect("4"));
    let height = u32::from_be_bytes(header[4..8].try_into().expect("4"));
    let (depth, colour_type, interlace) = (header[8], header[9], header[12]);
    assert!(
        depth == 8 && matches!(colour_type, 2 | 6) && interlace == 0,
        "depth {depth}, colour type {colour_type}, interlace {interlace}"
    );
    let channels = if colour_type == 2 { 3 } else { 4 };
    let mut raw = Vec::new();
    flate2::read::ZlibDecoder::new(&idat[..])
        .read_to_end(&mut raw)
        .expect("inflate");
    let stride = width as usize * channels;
    let mut previous = vec![0u8; stride];
    let mut counts = HashMap::new();
    for y in 0..height as usize {
        let start = y * (stride + 1);
        let filter = raw[start];
        let mut line = raw[start + 1..start + 1 + stride].to_vec();
        for i in 0..stride {
            let left = if i >= channels { line[i - channels] } else { 0 };
            let up = previous[i];
            let corner = if i >= channels {
                previous[i - channels]
            } else {
                0
            };
            let predicted = match filter {
                0 => 0,
                1 => left,
                2 => up,
                3 => ((u16::from(left) + u16::from(up)) / 2) as u8,
                4 => paeth(left, up, corner),
                other => panic!("filter {other}"),
            };
            line[i] = line[i].wrapping_add(predicted);
        }
        for pixel in line.chunks(channels) {
            let rgb = u32::from(pixel[0]) << 16 | u32::from(pixel[1]) << 8 | u32::from(pixel[2]);
            *counts.entry(rgb).or_insert(0) += 1;
        }
        previous = line;
    }
    (width, height, counts)
}

fn paeth(a: u8, b: u8, c: u8) -> u8 {
    let p = i16::from(a) + i16::from(b) - i16::from(c);
    let (pa, pb, pc) = (
        (p - i16::from(a)).abs(),
        (p - i16::from(b)).abs(),
        (p - i16::from(c)).abs(),
    );
    if pa <= pb && pa <= pc {
        a
    } else if pb <= pc {
        b
    } else {
        c
    }
}
