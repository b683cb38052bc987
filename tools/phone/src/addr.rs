//! Where `ama-phone` connects: parsed once, before anything is opened.
//!
//! - `tcp://HOST:PORT` or `HOST:PORT`: the engine's TCP link;
//! - `unix:/path`: the engine's Unix link;
//! - `rfcomm://BDADDR[:CH]`: the board's AMA RFCOMM service over real Bluetooth (BlueZ on the
//!   machine running the tool, `--adapter`); without a channel, BlueZ finds it in the board's
//!   SDP record by the AMA UUID;
//! - `ble://BDADDR`: the board's AMA GATT service (0xFE03) over Bluetooth LE.
//!
//! A BD_ADDR is six hex pairs separated by colons, most significant first
//! (`00:AA:01:00:00:00`), as BlueZ prints it.

use std::fmt;
use std::path::PathBuf;

/// A Bluetooth device address, most significant byte first.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct BdAddr(pub [u8; 6]);

impl fmt::Display for BdAddr {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let b = self.0;
        write!(
            f,
            "{:02X}:{:02X}:{:02X}:{:02X}:{:02X}:{:02X}",
            b[0], b[1], b[2], b[3], b[4], b[5]
        )
    }
}

/// A parsed connect address.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum PhoneAddr {
    /// `HOST:PORT` (the `tcp://` prefix removed).
    Tcp(String),
    /// A Unix socket path.
    Unix(PathBuf),
    /// RFCOMM to `addr`, on `channel` (1-30) or the channel the board's SDP names.
    Rfcomm { addr: BdAddr, channel: Option<u8> },
    /// BLE GATT to `addr`.
    Ble { addr: BdAddr },
}

/// Why an address was refused.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("bad address {addr:?}: {why} (accepted: tcp://HOST:PORT, HOST:PORT, unix:/path, rfcomm://BDADDR[:CH], ble://BDADDR)")]
pub struct AddrError {
    pub addr: String,
    pub why: String,
}

fn parse_bdaddr(s: &str) -> Result<BdAddr, String> {
    let parts: Vec<&str> = s.split(':').collect();
    if parts.len() != 6 {
        return Err(format!(
            "{s:?} is not a BD_ADDR (six hex pairs: 00:AA:01:00:00:00)"
        ));
    }
    let mut out = [0u8; 6];
    for (o, p) in out.iter_mut().zip(&parts) {
        if p.len() != 2 || !p.bytes().all(|b| b.is_ascii_hexdigit()) {
            return Err(format!("{s:?} is not a BD_ADDR ({p:?} is not a hex pair)"));
        }
        *o = u8::from_str_radix(p, 16).map_err(|e| e.to_string())?;
    }
    Ok(BdAddr(out))
}

impl PhoneAddr {
    /// Parses `s`; never touches the network.
    pub fn parse(s: &str) -> Result<Self, AddrError> {
        let err = |why: String| AddrError {
            addr: s.to_owned(),
            why,
        };
        if let Some(rest) = s.strip_prefix("rfcomm://") {
            // BDADDR has 5 colons; a sixth separates the channel.
            let (addr, channel) = match rest.match_indices(':').nth(5) {
                Some((i, _)) => (&rest[..i], Some(&rest[i + 1..])),
                None => (rest, None),
            };
            let addr = parse_bdaddr(addr).map_err(err)?;
            let channel = match channel {
                None => None,
                Some(c) => match c.parse::<u8>() {
                    Ok(n) if (1..=30).contains(&n) => Some(n),
                    _ => return Err(err(format!("RFCOMM channel {c:?} is not 1-30"))),
                },
            };
            return Ok(Self::Rfcomm { addr, channel });
        }
        if let Some(rest) = s.strip_prefix("ble://") {
            return Ok(Self::Ble {
                addr: parse_bdaddr(rest).map_err(err)?,
            });
        }
        if let Some(path) = s.strip_prefix("unix:") {
            if path.is_empty() {
                return Err(err("empty Unix socket path".into()));
            }
            return Ok(Self::Unix(PathBuf::from(path)));
        }
        let hp = s.strip_prefix("tcp://").unwrap_or(s);
        if let Some(scheme) = hp.split_once("://").map(|(a, _)| a) {
            return Err(err(format!("unknown scheme {scheme:?}")));
        }
        match hp.rsplit_once(':') {
            Some((h, p)) if !h.is_empty() && p.parse::<u16>().is_ok() => Ok(Self::Tcp(hp.into())),
            _ => Err(err("expected HOST:PORT".into())),
        }
    }

    /// True for the addresses that need BlueZ (`--adapter` applies).
    pub fn is_bluetooth(&self) -> bool {
        matches!(self, Self::Rfcomm { .. } | Self::Ble { .. })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const BOARD: BdAddr = BdAddr([0x00, 0xAA, 0x01, 0x00, 0x00, 0x00]);

    #[test]
    fn stream_addresses() {
        assert_eq!(
            PhoneAddr::parse("tcp://127.0.0.1:47711"),
            Ok(PhoneAddr::Tcp("127.0.0.1:47711".into()))
        );
        assert_eq!(
            PhoneAddr::parse("localhost:1"),
            Ok(PhoneAddr::Tcp("localhost:1".into()))
        );
        assert_eq!(
            PhoneAddr::parse("[::1]:5"),
            Ok(PhoneAddr::Tcp("[::1]:5".into()))
        );
        assert_eq!(
            PhoneAddr::parse("unix:/run/ama.sock"),
            Ok(PhoneAddr::Unix("/run/ama.sock".into()))
        );
    }

    #[test]
    fn rfcomm_with_and_without_channel() {
        assert_eq!(
            PhoneAddr::parse("rfcomm://00:AA:01:00:00:00"),
            Ok(PhoneAddr::Rfcomm {
                addr: BOARD,
                channel: None
            })
        );
        assert_eq!(
            PhoneAddr::parse("rfcomm://00:aa:01:00:00:00:19"),
            Ok(PhoneAddr::Rfcomm {
                addr: BOARD,
                channel: Some(19)
            })
        );
        assert_eq!(BOARD.to_string(), "00:AA:01:00:00:00");
    }

    #[test]
    fn ble() {
        let a = PhoneAddr::parse("ble://00:AA:01:00:00:00").expect("ble");
        assert_eq!(a, PhoneAddr::Ble { addr: BOARD });
        assert!(a.is_bluetooth());
        assert!(!PhoneAddr::parse("unix:/x").expect("unix").is_bluetooth());
    }

    #[test]
    fn refused() {
        for bad in [
            "rfcomm://00:AA:01:00:00",
            "rfcomm://00:AA:01:00:00:0G",
            "rfcomm://00:AA:01:00:00:00:0",
            "rfcomm://00:AA:01:00:00:00:31",
            "rfcomm://00:AA:01:00:00:00:x",
            "ble://00:AA:01:00:00:00:19",
            "ble://",
            "unix:",
            "http://x:1",
            "no-port",
            "host:99999",
        ] {
            let e = PhoneAddr::parse(bad).expect_err(bad);
            assert_eq!(e.addr, bad);
            assert!(e.to_string().contains("accepted:"), "{e}");
        }
    }
}
