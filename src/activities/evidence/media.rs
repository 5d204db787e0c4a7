//! What an uploaded evidence file is, decided from its bytes alone, and the copy of it that is
//! kept: photos lose every metadata block (EXIF with GPS, XMP, IPTC, comments, embedded
//! secondary images) by rewriting their container, never by re-encoding the pixels, and get a
//! small JPEG thumbnail. Pure functions, run off the async threads.

use image::metadata::Orientation;
use image::{DynamicImage, ImageDecoder, ImageError, ImageFormat, ImageReader, RgbImage};
use img_parts::Bytes;
use img_parts::ImageEXIF;
use img_parts::jpeg::{Jpeg, JpegSegment, markers};
use img_parts::png::Png;
use img_parts::riff::RiffContent;
use img_parts::webp::{self, WebP};
use std::io::Cursor;

/// Longest side of a thumbnail, in pixels.
pub const THUMB_SIDE: u32 = 320;
const THUMB_QUALITY: u8 = 80;
/// Photos above this many pixels are refused: decoding one for its thumbnail would take
/// hundreds of megabytes. Phones take 12 MP by default; 50 MP leaves room for the rest.
pub const MAX_PIXELS: u64 = 50_000_000;
/// Memory the decoder may use for one image (a 50 MP photo in 8-bit RGBA fits).
const MAX_DECODED_BYTES: u64 = 256 * 1024 * 1024;

/// The file types accepted as evidence.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Format {
    Jpeg,
    Png,
    WebP,
    Pdf,
}

impl Format {
    /// The type of a file from its first bytes (its "magic number"). The name and the declared
    /// content type are never consulted: they are whatever the sender wants them to be.
    pub fn sniff(bytes: &[u8]) -> Option<Format> {
        if bytes.starts_with(&[0xFF, 0xD8, 0xFF]) {
            Some(Format::Jpeg)
        } else if bytes.starts_with(b"\x89PNG\r\n\x1a\n") {
            Some(Format::Png)
        } else if bytes.len() >= 12
            && bytes.starts_with(b"RIFF")
            && bytes.get(8..12) == Some(b"WEBP")
        {
            Some(Format::WebP)
        } else if bytes.starts_with(b"%PDF-") {
            Some(Format::Pdf)
        } else {
            None
        }
    }

    pub fn content_type(self) -> &'static str {
        match self {
            Format::Jpeg => "image/jpeg",
            Format::Png => "image/png",
            Format::WebP => "image/webp",
            Format::Pdf => "application/pdf",
        }
    }

    /// The `kind` column: a photo of the activity or a scanned attendance sheet.
    pub fn kind(self) -> &'static str {
        if self.is_photo() {
            "photo"
        } else {
            "attendance"
        }
    }

    pub fn is_photo(self) -> bool {
        !matches!(self, Format::Pdf)
    }

    /// File-name extensions that match the content; the first is the one added when a name
    /// has none of them, so that a saved download opens in the right program.
    pub fn extensions(self) -> &'static [&'static str] {
        match self {
            Format::Jpeg => &["jpg", "jpeg"],
            Format::Png => &["png"],
            Format::WebP => &["webp"],
            Format::Pdf => &["pdf"],
        }
    }

    fn image_format(self) -> Option<ImageFormat> {
        match self {
            Format::Jpeg => Some(ImageFormat::Jpeg),
            Format::Png => Some(ImageFormat::Png),
            Format::WebP => Some(ImageFormat::WebP),
            Format::Pdf => None,
        }
    }
}

#[derive(Debug, thiserror::Error)]
pub enum MediaError {
    /// The container or the pixel data cannot be read.
    #[error("not a readable image")]
    Corrupt,
    #[error("too many pixels")]
    TooManyPixels,
    #[error("thumbnail: {0}")]
    Thumbnail(ImageError),
}

/// The file as it will be stored, and its thumbnail (photos only).
#[derive(Debug)]
pub struct Prepared {
    pub bytes: Vec<u8>,
    pub thumbnail: Option<Vec<u8>>,
}

/// Strips a photo's metadata, checks that what remains decodes, and makes its thumbnail; a PDF
/// is kept as it is.
pub fn prepare(bytes: Vec<u8>, format: Format) -> Result<Prepared, MediaError> {
    let bytes = Bytes::from(bytes);
    let stripped = match format {
        Format::Jpeg => strip_jpeg(bytes)?,
        Format::Png => strip_png(bytes)?,
        Format::WebP => strip_webp(bytes)?,
        Format::Pdf => {
            return Ok(Prepared {
                bytes: bytes.to_vec(),
                thumbnail: None,
            });
        }
    };
    let thumbnail = thumbnail(&stripped, format)?;
    Ok(Prepared {
        bytes: stripped,
        thumbnail: Some(thumbnail),
    })
}

/// The orientation recorded in the camera's EXIF block, if any.
fn orientation_of(exif: Option<Bytes>) -> Orientation {
    exif.and_then(|e| Orientation::from_exif_chunk(&e))
        .unwrap_or(Orientation::NoTransforms)
}

/// An EXIF block holding nothing but the orientation. Phones store a portrait photo as
/// landscape pixels plus "rotate 90°"; dropping that tag would show every such photo on its
/// side, and it says nothing about where, when or by whom the photo was taken.
fn orientation_only_exif(orientation: Orientation) -> Option<Bytes> {
    if orientation == Orientation::NoTransforms {
        return None;
    }
    let value = orientation.to_exif();
    // Little-endian TIFF header, one IFD with one entry (0x0112 Orientation, SHORT, count 1),
    // no next IFD.
    let tiff: [u8; 26] = [
        b'I', b'I', 0x2A, 0, 8, 0, 0, 0, 1, 0, 0x12, 0x01, 3, 0, 1, 0, 0, 0, value, 0, 0, 0, 0, 0,
        0, 0,
    ];
    Some(Bytes::copy_from_slice(&tiff))
}

/// Which JPEG segments survive: image data and tables, the JFIF header, the colour profile and
/// Adobe's colour-transform flag. Every other application segment (EXIF, XMP, IPTC, MPF,
/// maker notes) and every comment goes.
fn keep_jpeg_segment(marker: u8, contents: &[u8]) -> bool {
    match marker {
        markers::APP0 => contents.starts_with(b"JFIF\0"),
        markers::APP2 => contents.starts_with(b"ICC_PROFILE\0"),
        markers::APP14 => contents.starts_with(b"Adobe"),
        markers::APP0..=markers::APP15 | markers::COM => false,
        _ => true,
    }
}

fn strip_jpeg(bytes: Bytes) -> Result<Vec<u8>, MediaError> {
    let mut jpeg = Jpeg::from_bytes(bytes.clone()).map_err(|_| MediaError::Corrupt)?;
    let orientation = orientation_of(jpeg.exif());
    let mut kept = Vec::with_capacity(jpeg.segments().len());
    for segment in jpeg.segments() {
        if segment.has_entropy() {
            // img-parts keeps everything after the first scan header (later scans, the end
            // marker and whatever follows it) as that segment's entropy: the tail of the file.
            let tail_len = segment.len_with_entropy() - segment.len();
            let start = bytes
                .len()
                .checked_sub(tail_len)
                .ok_or(MediaError::Corrupt)?;
            let tail = clean_jpeg_tail(&bytes.slice(start..));
            kept.push(JpegSegment::new_with_entropy(
                markers::SOS,
                segment.contents().clone(),
                Bytes::from(tail),
            ));
        } else if keep_jpeg_segment(segment.marker(), segment.contents()) {
            kept.push(segment.clone());
        }
    }
    *jpeg.segments_mut() = kept;
    jpeg.set_exif(orientation_only_exif(orientation));
    Ok(jpeg.encoder().bytes().to_vec())
}

/// The scans of a JPEG up to its end marker, without the application segments and comments
/// that may sit between progressive scans, and without anything after the end of the image —
/// phones append secondary images there (MPF previews, depth and gain maps), each with its own
/// EXIF block and GPS position.
fn clean_jpeg_tail(data: &[u8]) -> Vec<u8> {
    let mut out = Vec::with_capacity(data.len());
    let mut copied = 0;
    let mut p = 0;
    while let (Some(&byte), Some(&marker)) = (data.get(p), data.get(p + 1)) {
        if byte != 0xFF {
            p += 1;
            continue;
        }
        match marker {
            // A stuffed zero or a restart marker: still scan data. 0xFF runs are fill bytes.
            0x00 | markers::RST0..=markers::RST7 => p += 2,
            0xFF => p += 1,
            markers::EOI => {
                out.extend_from_slice(data.get(copied..p + 2).unwrap_or_default());
                return out;
            }
            m if has_length(m) => {
                let len = match (data.get(p + 2), data.get(p + 3)) {
                    (Some(&hi), Some(&lo)) => usize::from(u16::from_be_bytes([hi, lo])),
                    _ => break,
                };
                let end = p + 2 + len;
                if end > data.len() {
                    break;
                }
                let contents = data.get(p + 4..end).unwrap_or_default();
                if !keep_jpeg_segment(m, contents) {
                    out.extend_from_slice(data.get(copied..p).unwrap_or_default());
                    copied = end;
                }
                p = end;
            }
            _ => p += 2,
        }
    }
    // No end marker: a truncated file. Keep what there is; the decoder judges it.
    out.extend_from_slice(data.get(copied..).unwrap_or_default());
    out
}

/// Markers followed by a two-byte length (the same set img-parts uses).
fn has_length(marker: u8) -> bool {
    matches!(marker, markers::SOF0..=markers::SOF15 | markers::SOS..=markers::EXP | markers::APP0..=markers::APP15 | markers::JPG0..=markers::JPG13 | markers::COM)
}

/// PNG chunks that survive: everything needed to draw the image (animation included) and its
/// colour information. Text chunks (which carry XMP and comments), eXIf, tIME and unknown
/// private chunks go.
const PNG_KEEP: &[[u8; 4]] = &[
    *b"IHDR", *b"PLTE", *b"IDAT", *b"IEND", *b"tRNS", *b"cHRM", *b"gAMA", *b"iCCP", *b"sBIT",
    *b"sRGB", *b"cICP", *b"mDCV", *b"mDCv", *b"cLLI", *b"cLLi", *b"bKGD", *b"hIST", *b"pHYs",
    *b"sPLT", *b"acTL", *b"fcTL", *b"fdAT",
];

fn strip_png(bytes: Bytes) -> Result<Vec<u8>, MediaError> {
    let mut png = Png::from_bytes(bytes).map_err(|_| MediaError::Corrupt)?;
    let orientation = orientation_of(png.exif());
    png.chunks_mut().retain(|c| PNG_KEEP.contains(&c.kind()));
    png.set_exif(orientation_only_exif(orientation));
    Ok(png.encoder().bytes().to_vec())
}

/// WebP chunks that survive: the canvas header, the image (still, lossless, alpha, animation
/// frames) and the colour profile. EXIF, XMP and unknown chunks go.
const WEBP_KEEP: &[[u8; 4]] = &[
    webp::CHUNK_VP8X,
    webp::CHUNK_VP8,
    webp::CHUNK_VP8L,
    webp::CHUNK_ALPH,
    webp::CHUNK_ANIM,
    webp::CHUNK_ANMF,
    webp::CHUNK_ICCP,
];
/// The "has XMP" bit of the VP8X flags byte.
const VP8X_XMP_FLAG: u8 = 0b0000_0100;

fn strip_webp(bytes: Bytes) -> Result<Vec<u8>, MediaError> {
    let mut image = WebP::from_bytes(bytes).map_err(|_| MediaError::Corrupt)?;
    let orientation = orientation_of(image.exif());
    image.chunks_mut().retain(|c| WEBP_KEEP.contains(&c.id()));
    // Rewrites the VP8X flags for EXIF and ICC (or drops VP8X when nothing extended is left)...
    image.set_exif(orientation_only_exif(orientation));
    // ...but not the XMP flag, which would announce a chunk that is gone.
    if let Some(vp8x) = image
        .chunks_mut()
        .iter_mut()
        .find(|c| c.id() == webp::CHUNK_VP8X)
        && let RiffContent::Data(data) = vp8x.content_mut()
    {
        let mut flags = data.to_vec();
        if let Some(first) = flags.first_mut() {
            *first &= !VP8X_XMP_FLAG;
        }
        *data = Bytes::from(flags);
    }
    Ok(image.encoder().bytes().to_vec())
}

fn decode_error(e: ImageError) -> MediaError {
    match e {
        ImageError::Limits(_) => MediaError::TooManyPixels,
        _ => MediaError::Corrupt,
    }
}

/// Decodes the stored photo (which proves its pixel data is readable) and makes a JPEG of at
/// most [`THUMB_SIDE`] pixels a side, turned the way the photo is meant to be seen.
fn thumbnail(bytes: &[u8], format: Format) -> Result<Vec<u8>, MediaError> {
    let image_format = format.image_format().ok_or(MediaError::Corrupt)?;
    let mut reader = ImageReader::with_format(Cursor::new(bytes), image_format);
    let mut limits = image::Limits::default();
    limits.max_alloc = Some(MAX_DECODED_BYTES);
    reader.limits(limits);
    let mut decoder = reader.into_decoder().map_err(decode_error)?;
    let (width, height) = decoder.dimensions();
    if u64::from(width) * u64::from(height) > MAX_PIXELS
        || decoder.total_bytes() > MAX_DECODED_BYTES
    {
        return Err(MediaError::TooManyPixels);
    }
    let orientation = decoder.orientation().unwrap_or(Orientation::NoTransforms);
    let mut img = DynamicImage::from_decoder(decoder).map_err(decode_error)?;
    if img.width() > THUMB_SIDE || img.height() > THUMB_SIDE {
        img = img.thumbnail(THUMB_SIDE, THUMB_SIDE);
    }
    img.apply_orientation(orientation);
    let rgb = on_white(&img);
    let mut out = Vec::new();
    image::codecs::jpeg::JpegEncoder::new_with_quality(&mut out, THUMB_QUALITY)
        .encode_image(&rgb)
        .map_err(MediaError::Thumbnail)?;
    Ok(out)
}

/// JPEG has no transparency: transparent parts of a PNG or WebP are laid on white rather than
/// turning black.
fn on_white(img: &DynamicImage) -> RgbImage {
    let rgba = img.to_rgba8();
    RgbImage::from_fn(rgba.width(), rgba.height(), |x, y| {
        let [r, g, b, a] = rgba.get_pixel(x, y).0;
        let blend = |c: u8| {
            let (c, a) = (u16::from(c), u16::from(a));
            // (c·a + 255·(255 − a)) / 255 stays within 0..=255.
            u8::try_from((c * a + 255 * (255 - a)) / 255).unwrap_or(u8::MAX)
        };
        image::Rgb([blend(r), blend(g), blend(b)])
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_type_comes_from_the_bytes() {
        assert_eq!(Format::sniff(b"\xFF\xD8\xFF\xE0rest"), Some(Format::Jpeg));
        assert_eq!(Format::sniff(b"\x89PNG\r\n\x1a\nrest"), Some(Format::Png));
        assert_eq!(Format::sniff(b"RIFF\0\0\0\0WEBPVP8 "), Some(Format::WebP));
        assert_eq!(Format::sniff(b"%PDF-1.7\n"), Some(Format::Pdf));
        assert_eq!(Format::sniff(b"<!doctype html><script>"), None);
        assert_eq!(Format::sniff(b"RIFF\0\0\0\0WAVEfmt "), None);
        assert_eq!(Format::sniff(b""), None);
    }

    #[test]
    fn the_jpeg_tail_ends_at_the_end_of_the_image() {
        // Scan data with a stuffed byte and a restart marker, a comment between scans, the
        // end marker, then an appended image with an EXIF block.
        let tail = b"\x01\xFF\x00\x02\xFF\xD0\x03\xFF\xFE\x00\x04hi\x05\xFF\xD9\xFF\xD8\xFF\xE1\x00\x08Exif\0\0";
        let cleaned = clean_jpeg_tail(tail);
        assert_eq!(cleaned, b"\x01\xFF\x00\x02\xFF\xD0\x03\x05\xFF\xD9");
    }

    #[test]
    fn only_the_orientation_survives_in_the_rebuilt_exif() {
        let exif = orientation_only_exif(Orientation::Rotate90).unwrap();
        assert_eq!(
            Orientation::from_exif_chunk(&exif),
            Some(Orientation::Rotate90)
        );
        assert!(orientation_only_exif(Orientation::NoTransforms).is_none());
    }
}
