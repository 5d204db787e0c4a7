//! Where evidence files live: `data_dir/evidence/<first two hex digits>/<sha256>`, named by the
//! SHA-256 of their stored bytes, outside any web root. A name never comes from the user, so
//! nothing a user types can point outside that folder; the name they gave is kept only for
//! display, cleaned by [`display_name`].

use crate::activities::evidence::media::Format;
use sha2::{Digest, Sha256};
use std::io;
use std::path::{Path, PathBuf};
use tokio::io::AsyncWriteExt;
use unicode_normalization::UnicodeNormalization;
use unicode_normalization::char::is_combining_mark;

/// Longest display name kept, in characters (the extension included).
const MAX_NAME_CHARS: usize = 120;

pub fn sha256_hex(bytes: &[u8]) -> String {
    Sha256::digest(bytes)
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect()
}

/// The evidence folder of one data directory.
#[derive(Clone, Debug)]
pub struct Store {
    root: PathBuf,
}

impl Store {
    pub fn new(data_dir: &Path) -> Self {
        Store {
            root: data_dir.join("evidence"),
        }
    }

    /// The path of a stored file; `None` for anything but a SHA-256 in lowercase hex, so that
    /// even a corrupted database row cannot name another file.
    fn path_of(&self, sha256: &str) -> Option<PathBuf> {
        let valid = sha256.len() == 64
            && sha256
                .bytes()
                .all(|b| b.is_ascii_digit() || (b'a'..=b'f').contains(&b));
        let shard = sha256.get(..2)?;
        valid.then(|| self.root.join(shard).join(sha256))
    }

    /// Stores `bytes` under their hash and returns it, with whether the file is new (and so
    /// may be removed again if the database write that follows fails). The file is written
    /// under a temporary name, synced, then renamed: a reader never sees half a file, and a
    /// crash after the database commit cannot lose it.
    pub async fn put(&self, bytes: &[u8]) -> io::Result<(String, bool)> {
        let sha256 = sha256_hex(bytes);
        let path = self
            .path_of(&sha256)
            .ok_or_else(|| io::Error::other("bad hash"))?;
        if tokio::fs::try_exists(&path).await? {
            return Ok((sha256, false));
        }
        let dir = path
            .parent()
            .ok_or_else(|| io::Error::other("no parent"))?
            .to_owned();
        tokio::fs::create_dir_all(&dir).await?;
        let suffix = crate::auth::tokens::random_token().map_err(io::Error::other)?;
        let temp = dir.join(format!(".{sha256}.{}.tmp", suffix.get(..16).unwrap_or("")));
        let written = async {
            let mut file = tokio::fs::File::create(&temp).await?;
            file.write_all(bytes).await?;
            file.sync_all().await?;
            drop(file);
            tokio::fs::rename(&temp, &path).await?;
            // The rename itself must reach the disk too.
            tokio::fs::File::open(&dir).await?.sync_all().await
        }
        .await;
        if written.is_err() {
            let _ = tokio::fs::remove_file(&temp).await;
        }
        written.map(|()| (sha256, true))
    }

    /// The bytes of a stored file; `Ok(None)` when it is not there.
    pub async fn read(&self, sha256: &str) -> io::Result<Option<Vec<u8>>> {
        let Some(path) = self.path_of(sha256) else {
            return Ok(None);
        };
        match tokio::fs::read(path).await {
            Ok(bytes) => Ok(Some(bytes)),
            Err(e) if e.kind() == io::ErrorKind::NotFound => Ok(None),
            Err(e) => Err(e),
        }
    }

    /// Removes a stored file; one already gone is not an error.
    pub async fn remove(&self, sha256: &str) -> io::Result<()> {
        let Some(path) = self.path_of(sha256) else {
            return Ok(());
        };
        match tokio::fs::remove_file(path).await {
            Err(e) if e.kind() != io::ErrorKind::NotFound => Err(e),
            _ => Ok(()),
        }
    }
}

/// Bidirectional-text controls: harmless in storage, but a right-to-left override before
/// "gpj.exe" makes it show as "exe.jpg".
fn is_bidi_control(c: char) -> bool {
    matches!(c, '\u{200E}' | '\u{200F}' | '\u{202A}'..='\u{202E}' | '\u{2066}'..='\u{2069}')
}

/// The name shown for an uploaded file: the last component of what the browser sent (either
/// separator), in NFC, without control characters, bounded, and ending in an extension that
/// matches the content — a PDF named `x.exe` is saved as `x.exe.pdf`, never as a program.
pub fn display_name(raw: &str, format: Format) -> String {
    let last = raw.rsplit(['/', '\\']).next().unwrap_or("");
    let cleaned: String = last
        .nfc()
        .filter(|c| !c.is_control() && !is_bidi_control(*c))
        .collect();
    // Leading dots would make a hidden file, or `..`.
    let cleaned = cleaned.trim().trim_start_matches('.').trim();
    let extensions = format.extensions();
    let lower = cleaned.to_lowercase();
    let has_extension = extensions
        .iter()
        .any(|e| lower.len() > e.len() + 1 && lower.ends_with(&format!(".{e}")));
    let default_ext = extensions.first().copied().unwrap_or("bin");
    let (stem, ext) = if has_extension {
        match cleaned.rsplit_once('.') {
            Some((stem, ext)) => (stem.to_owned(), ext.to_owned()),
            None => (cleaned.to_owned(), default_ext.to_owned()),
        }
    } else {
        (cleaned.to_owned(), default_ext.to_owned())
    };
    let room = MAX_NAME_CHARS.saturating_sub(ext.chars().count() + 1);
    let mut stem: String = stem.chars().take(room).collect();
    stem = stem.trim_end().to_owned();
    if stem.is_empty() {
        stem = format.kind().to_owned();
    }
    format!("{stem}.{ext}")
}

/// A `Content-Disposition` value: a plain-ASCII `filename` for old clients (Vietnamese letters
/// without their marks, anything else replaced) and the exact name as RFC 8187 `filename*`.
pub fn content_disposition(disposition: &str, name: &str) -> String {
    let ascii: String = name
        .nfd()
        .filter(|c| !is_combining_mark(*c))
        .map(|c| match c {
            'đ' => 'd',
            'Đ' => 'D',
            c if (c.is_ascii_graphic() && c != '"' && c != '\\') || c == ' ' => c,
            _ => '_',
        })
        .collect();
    let mut encoded = String::with_capacity(name.len() * 3);
    for b in name.bytes() {
        if b.is_ascii_alphanumeric() || b"!#$&+-.^_`|~".contains(&b) {
            encoded.push(char::from(b));
        } else {
            encoded.push_str(&format!("%{b:02X}"));
        }
    }
    format!("{disposition}; filename=\"{ascii}\"; filename*=UTF-8''{encoded}")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_name_keeps_only_its_last_component() {
        assert_eq!(
            display_name("../../etc/passwd.jpg", Format::Jpeg),
            "passwd.jpg"
        );
        assert_eq!(
            display_name("C:\\Users\\lan\\ảnh.JPG", Format::Jpeg),
            "ảnh.JPG"
        );
        assert_eq!(display_name("..", Format::Png), "photo.png");
        assert_eq!(display_name("", Format::Pdf), "attendance.pdf");
        assert_eq!(display_name(".htaccess", Format::Pdf), "htaccess.pdf");
    }

    #[test]
    fn a_name_says_what_the_content_is() {
        assert_eq!(display_name("ds.exe", Format::Pdf), "ds.exe.pdf");
        assert_eq!(display_name("x.jpg", Format::Png), "x.jpg.png");
        assert_eq!(display_name("\u{202E}gpj.exe", Format::Jpeg), "gpj.exe.jpg");
        assert_eq!(display_name("a\r\nb.webp", Format::WebP), "ab.webp");
    }

    #[test]
    fn a_name_is_bounded() {
        let long = format!("{}.pdf", "â".repeat(500));
        let name = display_name(&long, Format::Pdf);
        assert_eq!(name.chars().count(), MAX_NAME_CHARS);
        assert!(name.ends_with(".pdf"));
    }

    #[test]
    fn the_disposition_quotes_and_encodes() {
        assert_eq!(
            content_disposition("attachment", "Danh sách \"đại biểu\".pdf"),
            "attachment; filename=\"Danh sach _dai bieu_.pdf\"; \
             filename*=UTF-8''Danh%20s%C3%A1ch%20%22%C4%91%E1%BA%A1i%20bi%E1%BB%83u%22.pdf"
        );
    }

    #[test]
    fn only_hashes_make_paths() {
        let store = Store::new(Path::new("/data"));
        assert!(store.path_of("../../etc/passwd").is_none());
        assert!(store.path_of(&"A".repeat(64)).is_none());
        let sha = sha256_hex(b"x");
        assert_eq!(
            store.path_of(&sha),
            Some(PathBuf::from(format!("/data/evidence/{}/{sha}", &sha[..2])))
        );
    }
}
