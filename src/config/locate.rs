//! Maps byte offsets and dotted keys to 1-based line numbers for error messages.

use toml::de::{DeTable, DeValue};

/// 1-based line of byte `offset` in `text`.
pub fn line_of_offset(text: &str, offset: usize) -> usize {
    text[..offset.min(text.len())].matches('\n').count() + 1
}

/// 1-based line where dotted `key` (e.g. `audio.rate`) is set in `text`; when the key is not
/// written in the file (a default was rejected), the line of its deepest written parent, or 1.
pub fn line_of_key(text: &str, key: &str) -> usize {
    let Ok(root) = DeTable::parse(text) else {
        return 1;
    };
    let mut table = root.get_ref();
    let mut line = 1;
    for part in key.split('.') {
        let Some((k, v)) = table.iter().find(|(k, _)| k.get_ref().as_ref() == part) else {
            break;
        };
        line = line_of_offset(text, k.span().start);
        match v.get_ref() {
            DeValue::Table(t) => table = t,
            _ => break,
        }
    }
    line
}

/// The dotted key whose entry (key or value) contains byte `offset`, deepest first.
pub fn key_at_offset(text: &str, offset: usize) -> Option<String> {
    let root = DeTable::parse(text).ok()?;
    let mut path = Vec::new();
    find(root.get_ref(), offset, &mut path).then(|| path.join("."))
}

fn find(table: &DeTable<'_>, offset: usize, path: &mut Vec<String>) -> bool {
    for (k, v) in table.iter() {
        let inside = k.span().contains(&offset) || v.span().contains(&offset);
        if let DeValue::Table(t) = v.get_ref() {
            path.push(k.get_ref().to_string());
            if find(t, offset, path) || inside {
                return true;
            }
            path.pop();
        } else if inside {
            path.push(k.get_ref().to_string());
            return true;
        }
    }
    false
}
