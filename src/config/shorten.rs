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

/// For a wrong-type error on `key` (`invalid type: ...`), the message plus what the key
/// accepts, from the built-in default's value (enums already list their variants).
pub fn with_accepted(message: &str, key: Option<&str>) -> String {
    let short = shorten(message);
    let Some(key) = key.filter(|_| message.contains("invalid type")) else {
        return short;
    };
    let defaults = toml::Table::try_from(super::Config::default()).unwrap_or_default();
    let mut v: Option<&toml::Value> = None;
    for (i, part) in key.split('.').enumerate() {
        v = if i == 0 {
            defaults.get(part)
        } else {
            v.and_then(|t| t.get(part))
        };
    }
    let accepted = match v {
        Some(toml::Value::Integer(n)) => format!("an integer, e.g. the default {n}"),
        Some(toml::Value::Float(f)) => format!("a number, e.g. the default {f}"),
        Some(toml::Value::Boolean(_)) => "true or false".into(),
        Some(toml::Value::String(s)) => {
            format!("a string, e.g. the default {}", shorten(&format!("{s:?}")))
        }
        Some(toml::Value::Array(a)) => format!(
            "a list, e.g. the default {}",
            shorten(&toml::Value::Array(a.clone()).to_string())
        ),
        _ => return short,
    };
    format!("{short} (accepted: {accepted})")
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

    #[test]
    fn wrong_types_say_what_is_accepted() {
        let m = super::with_accepted(
            "invalid type: string \"x\", expected u32",
            Some("control.max_clients"),
        );
        assert!(
            m.contains("accepted: an integer, e.g. the default 16"),
            "{m}"
        );
        let m = super::with_accepted(
            "invalid type: integer `1`, expected a boolean",
            Some("wakeword.enabled"),
        );
        assert!(m.contains("true or false"), "{m}");
    }
}
