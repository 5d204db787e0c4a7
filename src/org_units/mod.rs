//! Administrative units: the effective-dated tree, lineage (merge, split, rename) and scope.

pub mod handlers;
pub mod listing;
pub mod repo;
pub mod scope;

/// The words an official unit name starts with ("Xã Ea Tul", "Thị trấn Phú Thứ").
const KIND_WORDS: [&str; 8] = [
    "Tỉnh",
    "Thành phố",
    "Huyện",
    "Thị xã",
    "Thị trấn",
    "Xã",
    "Phường",
    "Đặc khu",
];

/// An official name split into its kind word and the rest: "Xã Ea Tul" → `(Some("Xã"), "Ea
/// Tul")`; a name without one is all rest. The word is matched in any case ("xã Ea Tul").
pub fn split_name(name: &str) -> (Option<&'static str>, &str) {
    for word in KIND_WORDS {
        let n = word.chars().count();
        let Some((end, ' ')) = name.char_indices().nth(n) else {
            continue;
        };
        if name[..end].to_lowercase() == word.to_lowercase() {
            return (Some(word), name[end..].trim_start());
        }
    }
    (None, name)
}

#[cfg(test)]
mod tests {
    use super::split_name;

    #[test]
    fn official_names_split_into_their_kind_word_and_the_rest() {
        assert_eq!(split_name("Xã Ea Tul"), (Some("Xã"), "Ea Tul"));
        assert_eq!(split_name("xã Ea Tul"), (Some("Xã"), "Ea Tul"));
        assert_eq!(split_name("Thị xã Sơn Hòa"), (Some("Thị xã"), "Sơn Hòa"));
        assert_eq!(
            split_name("Đặc khu Phú Quốc"),
            (Some("Đặc khu"), "Phú Quốc")
        );
        assert_eq!(split_name("Xãnh"), (None, "Xãnh"));
        assert_eq!(split_name("Ea Tul"), (None, "Ea Tul"));
    }
}
