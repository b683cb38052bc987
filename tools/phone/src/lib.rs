//! `ama-phone CONNECT-ADDR`: plays the Alexa app's side for development and tests, like the
//! debug apps of the AMA Kit. A development tool, not part of the engine: the engine's
//! integration tests use it as a library, `scripts/demo.sh` runs its binary. It connects over TCP or a Unix socket, checks the version
//! packet, asks for device information, configuration and features, answers START_SPEECH
//! (SUCCESS, or BUSY), sends speech states, endpoints after a configurable time or on request,
//! asks PROVIDE_SPEECH for multi-turn, answers keep-alives, writes each utterance as Ogg Opus
//! and prints the dialog as it happens. Not real-time safe (an ordinary async client).

pub mod addr;
mod bt;
pub mod cli;
mod session;
mod utterance;

use std::path::PathBuf;
use std::time::Duration;

use tokio::io::{AsyncRead, AsyncReadExt, AsyncWrite, AsyncWriteExt};
use tokio::sync::mpsc;
use tokio::time::Instant;

pub use addr::{AddrError, BdAddr, PhoneAddr};
pub use utterance::{Ending, Utterance};

use session::Phone;

use ama_proto::envelope;
use ama_proto::proto::{
    control_envelope::Payload, Command as AmaCommand, DeviceConfiguration, DeviceFeatures,
    DeviceInformation, GetDeviceConfiguration, GetDeviceFeatures, GetDeviceInformation, KeepAlive,
};
use ama_proto::transport::{Decoder, Frame, VersionPacket, VERSION_PACKET_LEN};

/// What the tool does.
#[derive(Debug, Clone)]
pub struct PhoneOptions {
    /// `tcp://HOST:PORT`, `HOST:PORT`, `unix:/path`, `rfcomm://BDADDR[:CH]` or
    /// `ble://BDADDR` (see [`PhoneAddr`]).
    pub addr: String,
    /// The Bluetooth adapter (`hci1`) for `rfcomm://` and `ble://` (None: BlueZ's default).
    pub adapter: Option<String>,
    /// Send ENDPOINT_SPEECH this long after accepting an utterance (None: wait for the
    /// accessory to end it).
    pub endpoint_after: Option<Duration>,
    /// Send STOP_SPEECH (USER_CANCELLED) this long after accepting, instead of endpointing.
    pub stop_after: Option<Duration>,
    /// Answer START_SPEECH with BUSY.
    pub busy: bool,
    /// Ask PROVIDE_SPEECH this many times after each dialog's first turn.
    pub multi_turn: u32,
    /// Write each utterance here as Ogg Opus.
    pub out_dir: Option<PathBuf>,
    /// Stop after this many utterances have ended (and `linger` has passed).
    pub utterances: Option<usize>,
    /// Stop after this long in any case.
    pub max_time: Option<Duration>,
    /// Send KEEP_ALIVE this often.
    pub keepalive: Option<Duration>,
    /// Answer nothing at all after the handshake (a phone that hangs).
    pub silent: bool,
    /// Close the link this long after the first utterance starts (link-drop tests).
    pub drop_after: Option<Duration>,
    /// After the last utterance, keep reading this long for frames still in flight.
    pub linger: Duration,
    /// Print nothing.
    pub quiet: bool,
    /// Retry connecting this long while nothing listens yet.
    pub connect_wait: Duration,
}

impl PhoneOptions {
    /// Defaults for `addr`: endpoint after 3 s, no multi-turn, run until the link closes.
    pub fn new(addr: &str) -> Self {
        Self {
            addr: addr.to_owned(),
            adapter: None,
            endpoint_after: Some(Duration::from_secs(3)),
            stop_after: None,
            busy: false,
            multi_turn: 0,
            out_dir: None,
            utterances: None,
            max_time: None,
            keepalive: None,
            silent: false,
            drop_after: None,
            linger: Duration::from_millis(300),
            quiet: false,
            connect_wait: Duration::ZERO,
        }
    }
}

/// Requests typed at the tool while it runs.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum PhoneRequest {
    Endpoint,
    Stop,
    ProvideSpeech,
    Quit,
}

/// What the tool saw.
#[derive(Debug, Clone, Default, serde::Serialize)]
pub struct PhoneReport {
    pub version: Option<(u8, u8, u16, u16)>,
    #[serde(skip)]
    pub device_information: Option<DeviceInformation>,
    #[serde(skip)]
    pub device_configuration: Option<DeviceConfiguration>,
    #[serde(skip)]
    pub device_features: Option<DeviceFeatures>,
    pub utterances: Vec<Utterance>,
    pub busy_answers: u32,
    pub keepalives_received: u32,
    pub keepalive_replies: u32,
    pub malformed: u64,
    /// Error codes of the accessory's replies to our requests, by command name.
    pub replies: Vec<(String, i32)>,
    pub closed_by_accessory: bool,
    /// How long pairing took, when `ble://` had to pair with the board first.
    pub pairing_ms: Option<u64>,
    /// Every control frame payload received, in order (for independent decoding).
    #[serde(skip)]
    pub control_frames: Vec<Vec<u8>>,
}

/// The tool's failures.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum PhoneError {
    #[error("cannot connect to {addr}: {source}")]
    Connect {
        addr: String,
        source: std::io::Error,
    },
    #[error("link error: {0}")]
    Io(#[from] std::io::Error),
    #[error("bad version packet: {0}")]
    Version(#[from] ama_proto::transport::VersionError),
    #[error(transparent)]
    Addr(#[from] AddrError),
}

pub(crate) trait Conn: AsyncRead + AsyncWrite + Unpin + Send {}
impl<T: AsyncRead + AsyncWrite + Unpin + Send> Conn for T {}

/// The link, and how long pairing took when it had to pair first.
async fn connect(
    addr: &PhoneAddr,
    text: &str,
    adapter: Option<&str>,
    wait: Duration,
) -> Result<(Box<dyn Conn>, Option<Duration>), PhoneError> {
    let err = |source| PhoneError::Connect {
        addr: text.to_owned(),
        source,
    };
    let plain = |c: Box<dyn Conn>| (c, None);
    Ok(match addr {
        PhoneAddr::Unix(path) => plain(Box::new(
            tokio::net::UnixStream::connect(path).await.map_err(err)?,
        )),
        PhoneAddr::Tcp(hp) => {
            let s = tokio::net::TcpStream::connect(hp.as_str())
                .await
                .map_err(err)?;
            let _ = s.set_nodelay(true);
            plain(Box::new(s))
        }
        PhoneAddr::Rfcomm { addr, channel } => plain(
            bt::connect_rfcomm(adapter, *addr, *channel)
                .await
                .map_err(err)?,
        ),
        PhoneAddr::Ble { addr } => bt::connect_ble(adapter, *addr, wait).await.map_err(err)?,
    })
}

/// Runs the tool without interactive requests.
pub async fn run(opts: PhoneOptions) -> Result<PhoneReport, PhoneError> {
    let (_tx, rx) = mpsc::channel(1);
    run_with(opts, rx).await
}

/// Runs the tool; `requests` carries interactive endpoint/stop/provide/quit requests.
pub async fn run_with(
    opts: PhoneOptions,
    mut requests: mpsc::Receiver<PhoneRequest>,
) -> Result<PhoneReport, PhoneError> {
    let give_up = Instant::now() + opts.connect_wait;
    let addr = PhoneAddr::parse(&opts.addr)?;
    let (mut conn, paired_in) = loop {
        match connect(
            &addr,
            &opts.addr,
            opts.adapter.as_deref(),
            opts.connect_wait,
        )
        .await
        {
            Ok(c) => break c,
            Err(e) if Instant::now() >= give_up => return Err(e),
            Err(_) => tokio::time::sleep(Duration::from_millis(100)).await,
        }
    };
    let mut version = [0u8; VERSION_PACKET_LEN];
    conn.read_exact(&mut version).await?;
    let v = VersionPacket::decode(&version)?;
    let start = Instant::now();
    let mut p = Phone {
        opts,
        report: PhoneReport::default(),
        out: Vec::new(),
        current: None,
        deadline: None,
        turns_left: 0,
        ended: 0,
        done_at: None,
        drop_at: None,
    };
    if let Some(d) = paired_in {
        p.report.pairing_ms = Some(u64::try_from(d.as_millis()).unwrap_or(u64::MAX));
        p.say(format_args!(
            "paired with the board in {} ms",
            d.as_millis()
        ));
    }
    p.report.version = Some((
        v.major,
        v.minor,
        v.transport_packet_size,
        v.max_transactional_data_size,
    ));
    p.say(format_args!(
        "connected to {}: AMA {}.{} (packet size {}, max data {})",
        p.opts.addr, v.major, v.minor, v.transport_packet_size, v.max_transactional_data_size
    ));
    p.send(envelope::request(
        AmaCommand::GetDeviceInformation,
        Payload::GetDeviceInformation(GetDeviceInformation { device_id: 0 }),
    ));
    p.send(envelope::request(
        AmaCommand::GetDeviceConfiguration,
        Payload::GetDeviceConfiguration(GetDeviceConfiguration {}),
    ));
    p.send(envelope::request(
        AmaCommand::GetDeviceFeatures,
        Payload::GetDeviceFeatures(GetDeviceFeatures {}),
    ));
    let mut decoder = Decoder::default();
    let mut buf = vec![0u8; 8192];
    let mut next_keepalive = p.opts.keepalive.map(|k| start + k);
    let max_end = p.opts.max_time.map(|t| start + t);
    let far = start + Duration::from_secs(86_400 * 365);
    let mut requests_open = true;
    loop {
        if !p.out.is_empty() {
            conn.write_all(&p.out).await?;
            p.out.clear();
        }
        let now = Instant::now();
        if p.done_at.is_some_and(|t| now >= t) || max_end.is_some_and(|t| now >= t) {
            break;
        }
        if p.drop_at.is_some_and(|t| now >= t) {
            p.say(format_args!("dropping the link (test)"));
            if let Some(i) = p.current {
                if p.report.utterances[i].ending == Ending::Open {
                    p.report.utterances[i].ending = Ending::LinkClosed;
                }
            }
            return Ok(p.report);
        }
        let wake = [
            p.deadline.map(|d| d.0),
            next_keepalive,
            p.done_at,
            max_end,
            p.drop_at,
        ]
        .into_iter()
        .flatten()
        .min()
        .unwrap_or(far);
        tokio::select! {
            n = conn.read(&mut buf) => {
                let n = n?;
                let now = Instant::now();
                if n == 0 {
                    p.say(format_args!("the accessory closed the link"));
                    p.report.closed_by_accessory = true;
                    if let Some(i) = p.current {
                        if p.report.utterances[i].ending == Ending::Open {
                            p.report.utterances[i].ending = Ending::LinkClosed;
                        }
                    }
                    break;
                }
                decoder.push(&buf[..n]);
                while let Some(r) = decoder.next_frame() {
                    match r {
                        Ok(Frame::Control(body)) => match envelope::decode(&body) {
                            Ok(env) => {
                                p.report.control_frames.push(body);
                                p.on_envelope(env, now);
                            }
                            Err(e) => {
                                p.report.malformed += 1;
                                p.say(format_args!("{e}"));
                            }
                        },
                        Ok(Frame::Voice(v)) => p.on_voice(&v),
                        Err(e) => {
                            p.report.malformed += 1;
                            p.say(format_args!("{e}"));
                        }
                    }
                }
            }
            r = requests.recv(), if requests_open => match r {
                Some(PhoneRequest::Quit) => break,
                Some(req) => p.request(req, Instant::now()),
                None => requests_open = false,
            },
            _ = tokio::time::sleep_until(wake) => {
                let now = Instant::now();
                if let Some((t, req)) = p.deadline {
                    if now >= t {
                        p.request(req, now);
                    }
                }
                if let (Some(t), Some(k)) = (next_keepalive, p.opts.keepalive) {
                    if now >= t {
                        p.send(envelope::request(AmaCommand::KeepAlive, Payload::KeepAlive(KeepAlive {})));
                        next_keepalive = Some(now + k);
                    }
                }
            }
        }
    }
    if !p.out.is_empty() {
        let _ = conn.write_all(&p.out).await;
    }
    let _ = conn.shutdown().await;
    if let Some(dir) = p.opts.out_dir.clone() {
        for (i, u) in p.report.utterances.iter_mut().enumerate() {
            let path = u.write_ogg(&dir, i + 1)?;
            if !p.opts.quiet {
                println!(
                    "phone: wrote {} ({} frames, {:.2} s)",
                    path.display(),
                    u.packets.len(),
                    u.seconds()
                );
            }
        }
    }
    Ok(p.report)
}
