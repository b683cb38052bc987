//! Error messages quote a bad value at most ~80 characters: a 10 MB name must not make a
//! 10 MB error line.

/// Longest quoted run kept whole.
const MAX_QUOTED: usize = 80;

/// Cuts every quoted run (`"..."`, `` `...` ``, `'...'`) longer than 80 characters to its
/// first 77 and `...`, and the whole message to a few hundred characters.
pub fn shorten(msg: &str) -> String {
    let chars: Vec<char> = msg.chars().collect();
    let mut out = String::with_capacity(msg.len().min(1024));
    let mut i = 0;
    while i < chars.len() {
        let c = chars[i];
        out.push(c);
        i += 1;
        if c == '"' || c == '`' || c == '\'' {
            // The run up to the closing quote (or the end).
            let end = (i..chars.len()).find(|&j| chars[j] == c && chars[j - 1] != '\\');
            let stop = end.unwrap_or(chars.len());
            if stop - i > MAX_QUOTED {
                out.extend(&chars[i..i + MAX_QUOTED - 3]);
                out.push_str(&format!("... ({} characters)", stop - i));
                i = stop;
            }
        }
    }
    if out.chars().count() > 8 * MAX_QUOTED {
        let cut: String = out.chars().take(8 * MAX_QUOTED).collect();
        return format!("{cut}... (cut)");
    }
    out
}

#[cfg(test)]
mod tests {
    use super::shorten;

    #[test]
    fn long_quoted_values_are_cut() {
        let long = "x".repeat(10_000);
        let s = shorten(&format!("name \"{long}\" is too long"));
        assert!(s.len() < 200, "{s}");
        assert!(
            s.contains("(10000 characters)") && s.ends_with("is too long"),
            "{s}"
        );
        assert_eq!(shorten("short \"value\""), "short \"value\"");
    }
}
