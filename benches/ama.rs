//! AMA framing and envelope cost: per control message and per voice frame, encode and decode.
//! For scale: one voice frame carries 4 Opus frames (80 ms of audio), so its budget is 80 ms.

use std::time::Duration;

use ama_proto::envelope;
use ama_proto::proto::control_envelope::Payload;
use ama_proto::proto::speech_initiator::Type;
use ama_proto::proto::*;
use ama_proto::session::{LinkInfo, MemoryStore, Output, Session, SessionSettings};
use ama_proto::transport::{encode_envelope, encode_voice, Decoder};
use criterion::{black_box, criterion_group, criterion_main, Criterion};
use engine_base::messages::{Initiator, OpusFrame, Outbound, MAX_PACKET};

fn start_speech() -> ControlEnvelope {
    envelope::request(
        Command::StartSpeech,
        Payload::StartSpeech(StartSpeech {
            settings: Some(SpeechSettings {
                audio_profile: AudioProfile::NearField as i32,
                audio_format: AudioFormat::Opus16khz32kbpsCbr020ms as i32,
                audio_source: 0,
            }),
            initiator: Some(SpeechInitiator {
                r#type: Type::Wakeword as i32,
                wake_word: Some(WakeWord {
                    start_index_in_samples: 8000,
                    end_index_in_samples: 16000,
                    near_miss: false,
                    metadata: Vec::new(),
                }),
            }),
            dialog: Some(Dialog { id: 2 }),
            suppress_endpoint_earcon: false,
            suppress_start_earcon: false,
        }),
    )
}

fn bench(c: &mut Criterion) {
    let env = start_speech();
    let mut framed = Vec::new();
    encode_envelope(&env, &mut framed);

    c.bench_function("control: encode StartSpeech envelope + frame", |b| {
        let mut out = Vec::with_capacity(64);
        b.iter(|| {
            out.clear();
            encode_envelope(black_box(&env), &mut out);
        })
    });
    c.bench_function("control: decode frame + StartSpeech envelope", |b| {
        let mut d = Decoder::default();
        b.iter(|| {
            d.push(black_box(&framed));
            let Some(Ok(f)) = d.next_frame() else {
                unreachable!()
            };
            black_box(envelope::decode(f.payload()).ok());
        })
    });

    let payload = vec![0x5Au8; 320]; // 4 x 80-byte Opus frames
    let mut voice = Vec::new();
    encode_voice(&payload, &mut voice);
    c.bench_function("voice: encode 320-byte frame", |b| {
        let mut out = Vec::with_capacity(400);
        b.iter(|| {
            out.clear();
            encode_voice(black_box(&payload), &mut out);
        })
    });
    c.bench_function("voice: decode 320-byte frame", |b| {
        let mut d = Decoder::default();
        b.iter(|| {
            d.push(black_box(&voice));
            black_box(d.next_frame());
        })
    });
    c.bench_function("voice: decode 320-byte frame in 20-byte BLE pieces", |b| {
        let mut d = Decoder::default();
        b.iter(|| {
            for piece in voice.chunks(20) {
                d.push(piece);
            }
            black_box(d.next_frame());
        })
    });

    // The session's cost per Opus frame while streaming (packing included).
    c.bench_function("session: one Opus frame while streaming", |b| {
        let mut s = Session::new(SessionSettings::default(), Box::new(MemoryStore::default()));
        let now = Duration::ZERO;
        s.link_up(
            now,
            LinkInfo {
                transport: Transport::BluetoothRfcomm,
                mtu: 990,
                ble: false,
            },
        );
        let mut out = Output::default();
        s.on_outbound(
            now,
            Outbound::StreamStarted {
                stream: 1,
                initiator: Initiator::Tap,
                wake: None,
                first_sample: 0,
                score: 0.0,
            },
            &mut out,
        );
        s.on_envelope(
            now,
            envelope::reply(Command::StartSpeech as i32, ErrorCode::Success, None),
            &mut out,
        );
        let mut f = OpusFrame {
            stream: 1,
            seq: 0,
            capture_ns: 0,
            first_sample: 0,
            len: 80,
            data: [7u8; MAX_PACKET],
        };
        b.iter(|| {
            out.clear();
            s.on_outbound(now, Outbound::Frame(f), &mut out);
            f.seq += 1;
            black_box(&out.send);
        })
    });
}

/// One Opus frame from the real-time ring to the phone's socket over TCP loopback, through the
/// real sender (ring poll every `POLL` ms, session, framing, socket): the link's added latency.
fn link_latency(c: &mut Criterion) {
    use std::sync::Arc;
    use tokio::io::{AsyncReadExt, AsyncWriteExt};

    let rt = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .unwrap();
    let dir = std::env::temp_dir().join(format!("ama-bench-{}", std::process::id()));
    let mut cfg = ama_engine::config::Config::default();
    cfg.ama.link = ama_engine::config::AmaLink::Tcp("127.0.0.1:0".into());
    cfg.ama.state_dir = dir;
    cfg.ama.frames_per_packet = 1;
    let (mut prod, cons) = rtrb::RingBuffer::new(1024);
    let (cmd_tx, _cmd_rx) = tokio::sync::mpsc::channel(64);
    let mut svc = ama_engine::ama::AmaService::new(Arc::new(cfg));
    let bound = svc.on_bound();
    rt.spawn(svc.run(cons, cmd_tx));
    let addr = rt.block_on(bound).unwrap();
    let mut sock = rt
        .block_on(tokio::net::TcpStream::connect(
            addr.trim_start_matches("tcp://"),
        ))
        .unwrap();
    sock.set_nodelay(true).unwrap();
    let mut buf = vec![0u8; 4096];
    let mut d = Decoder::default();
    rt.block_on(async {
        sock.read_exact(&mut buf[..20]).await.unwrap();
        // A tap stream, accepted by the "phone".
        prod.push(Outbound::StreamStarted {
            stream: 1,
            initiator: Initiator::Tap,
            wake: None,
            first_sample: 0,
            score: 0.0,
        })
        .unwrap();
        loop {
            let n = sock.read(&mut buf).await.unwrap();
            d.push(&buf[..n]);
            if let Some(Ok(f)) = d.next_frame() {
                let env = envelope::decode(f.payload()).unwrap();
                let mut ok = Vec::new();
                encode_envelope(
                    &envelope::reply(env.command, ErrorCode::Success, None),
                    &mut ok,
                );
                sock.write_all(&ok).await.unwrap();
                break;
            }
        }
    });
    let mut seq = 0u32;
    c.bench_function("link: one Opus frame, ring -> TCP loopback phone", |b| {
        b.iter_custom(|iters| {
            rt.block_on(async {
                let mut total = Duration::ZERO;
                for _ in 0..iters {
                    let t = std::time::Instant::now();
                    let f = OpusFrame {
                        stream: 1,
                        seq,
                        capture_ns: 0,
                        first_sample: 0,
                        len: 80,
                        data: [7u8; MAX_PACKET],
                    };
                    seq += 1;
                    while prod.push(Outbound::Frame(f)).is_err() {}
                    loop {
                        if let Some(Ok(_)) = d.next_frame() {
                            break;
                        }
                        let n = sock.read(&mut buf).await.unwrap();
                        d.push(&buf[..n]);
                    }
                    total += t.elapsed();
                }
                total
            })
        })
    });
}

criterion_group!(benches, bench, link_latency);
criterion_main!(benches);
