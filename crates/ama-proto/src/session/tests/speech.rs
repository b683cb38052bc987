//! The speech flow.

use super::*;

#[test]
fn wake_word_flow_buffers_until_success_then_packs_whole_frames() {
    let mut s = linked();
    let mut out = Output::default();
    let st = start(&mut s, 1, Initiator::Wakeword, &mut out);
    assert_eq!(st.dialog, Some(Dialog { id: 1 }));
    let init = st.initiator.unwrap();
    assert_eq!(init.r#type, speech_initiator::Type::Wakeword as i32);
    let w = init.wake_word.unwrap();
    assert_eq!(
        (w.start_index_in_samples, w.end_index_in_samples),
        (8000, 14_400)
    );
    assert_eq!(
        st.settings.unwrap().audio_profile,
        AudioProfile::NearField as i32
    );
    out.clear();
    for seq in 0..6 {
        s.on_outbound(ms(21), Outbound::Frame(frame(1, seq)), &mut out);
    }
    assert!(out.send.is_empty(), "nothing before SUCCESS");
    answer_start(&mut s, ErrorCode::Success, 1, &mut out);
    assert_eq!(
        out.send.len(),
        1,
        "4 of 6 buffered frames in one voice frame"
    );
    for seq in 6..9 {
        s.on_outbound(ms(40), Outbound::Frame(frame(1, seq)), &mut out);
    }
    s.on_outbound(
        ms(50),
        Outbound::StreamEnded {
            stream: 1,
            reason: EndReason::LocalEndOfSpeech,
            frames: 9,
        },
        &mut out,
    );
    let v = voice_bytes(&out);
    assert_eq!(v.len(), 9 * 80);
    for seq in 0..9 {
        assert_eq!(v[seq * 80], seq as u8, "frame order");
    }
    let e = envelopes(&out);
    assert!(matches!(
        e.last().unwrap().payload,
        Some(Payload::EndpointSpeech(_))
    ));
    assert_eq!(s.stats().opus_frames_out, 9);
    assert_eq!(s.stats().seq_gaps, 0);
}

#[test]
fn phone_endpoint_and_stop_act_only_on_the_current_dialog() {
    let mut s = linked();
    let mut out = Output::default();
    start(&mut s, 1, Initiator::Tap, &mut out);
    answer_start(&mut s, ErrorCode::Success, 1, &mut out);
    let stop = |d| {
        req(
            AmaCommand::StopSpeech,
            Payload::StopSpeech(StopSpeech {
                error_code: 4,
                dialog: Some(Dialog { id: d }),
            }),
        )
    };
    assert_eq!(ask(&mut s, stop(7), &mut out).0, ErrorCode::NotFound);
    assert!(out.commands.is_empty());
    let ep = req(
        AmaCommand::EndpointSpeech,
        Payload::EndpointSpeech(EndpointSpeech {
            dialog: Some(Dialog { id: 1 }),
        }),
    );
    assert_eq!(ask(&mut s, ep, &mut out).0, ErrorCode::Success);
    assert_eq!(
        out.commands,
        vec![Command::End {
            stream: 1,
            reason: EndReason::Endpoint
        }]
    );
    // Frames still in flight from the real-time thread are dropped, and its end is silent.
    out.clear();
    s.on_outbound(ms(60), Outbound::Frame(frame(1, 0)), &mut out);
    s.on_outbound(
        ms(60),
        Outbound::StreamEnded {
            stream: 1,
            reason: EndReason::Endpoint,
            frames: 1,
        },
        &mut out,
    );
    assert!(out.send.is_empty());
    // STOP_SPEECH on the next dialog.
    start(&mut s, 2, Initiator::Tap, &mut out);
    answer_start(&mut s, ErrorCode::Success, 2, &mut out);
    assert_eq!(ask(&mut s, stop(2), &mut out).0, ErrorCode::Success);
    assert_eq!(
        out.commands,
        vec![Command::End {
            stream: 2,
            reason: EndReason::Stop
        }]
    );
}

#[test]
fn press_and_hold_release_sends_endpoint_even_before_success() {
    let mut s = linked();
    let mut out = Output::default();
    let st = start(&mut s, 1, Initiator::PressAndHold, &mut out);
    assert_eq!(
        st.settings.unwrap().audio_profile,
        AudioProfile::CloseTalk as i32
    );
    assert_eq!(
        st.initiator.unwrap().r#type,
        speech_initiator::Type::PressAndHold as i32
    );
    out.clear();
    s.on_outbound(ms(21), Outbound::Frame(frame(1, 0)), &mut out);
    s.on_outbound(
        ms(22),
        Outbound::StreamEnded {
            stream: 1,
            reason: EndReason::Release,
            frames: 1,
        },
        &mut out,
    );
    assert!(out.send.is_empty());
    answer_start(&mut s, ErrorCode::Success, 1, &mut out);
    assert_eq!(voice_bytes(&out).len(), 80);
    let e = envelopes(&out);
    assert_eq!(e.len(), 1);
    assert_eq!(
        e[0].payload,
        Some(Payload::EndpointSpeech(EndpointSpeech {
            dialog: Some(Dialog { id: 1 })
        }))
    );
    assert!(out.commands.is_empty(), "the stream had already ended");
}

#[test]
fn provide_speech_continues_the_dialog_or_answers_busy() {
    let mut s = linked();
    let mut out = Output::default();
    start(&mut s, 1, Initiator::Wakeword, &mut out);
    let provide = |d| {
        req(
            AmaCommand::ProvideSpeech,
            Payload::ProvideSpeech(ProvideSpeech {
                dialog: Some(Dialog { id: d }),
            }),
        )
    };
    assert_eq!(ask(&mut s, provide(1), &mut out).0, ErrorCode::Busy);
    answer_start(&mut s, ErrorCode::Success, 1, &mut out);
    let ep = req(
        AmaCommand::EndpointSpeech,
        Payload::EndpointSpeech(EndpointSpeech {
            dialog: Some(Dialog { id: 1 }),
        }),
    );
    ask(&mut s, ep, &mut out);
    s.on_outbound(
        ms(60),
        Outbound::StreamEnded {
            stream: 1,
            reason: EndReason::Endpoint,
            frames: 0,
        },
        &mut out,
    );
    let (code, p) = ask(&mut s, provide(0x8000_0001), &mut out);
    assert_eq!(code, ErrorCode::Success);
    let Some(response::Payload::SpeechProvider(sp)) = p else {
        panic!("{p:?}")
    };
    assert_eq!(sp.dialog, Some(Dialog { id: 0x8000_0001 }));
    assert_eq!(out.commands, vec![Command::Continue]);
    // The continuation stream goes straight to voice frames, no START_SPEECH.
    out.clear();
    s.on_outbound(ms(70), started(2, Initiator::Continuation, None), &mut out);
    for seq in 0..4 {
        s.on_outbound(ms(71), Outbound::Frame(frame(2, seq)), &mut out);
    }
    assert_eq!(out.send.len(), 1);
    assert!(matches!(out.send[0], Outgoing::Voice(_)));
    assert_eq!(s.current_dialog(), Some(0x8000_0001));
}

#[test]
fn refusal_and_timeouts_stop_the_stream() {
    let mut s = linked();
    let mut out = Output::default();
    start(&mut s, 1, Initiator::Tap, &mut out);
    answer_start(&mut s, ErrorCode::Busy, 1, &mut out);
    assert_eq!(
        out.commands,
        vec![Command::End {
            stream: 1,
            reason: EndReason::Stop
        }]
    );
    assert_eq!(s.stats().streams_refused, 1);
    s.on_outbound(
        ms(31),
        Outbound::StreamEnded {
            stream: 1,
            reason: EndReason::Stop,
            frames: 0,
        },
        &mut out,
    );

    // Never answered: STOP_SPEECH INTERNAL after start_timeout (5 s default).
    start(&mut s, 2, Initiator::Tap, &mut out);
    out.clear();
    s.on_envelope(
        ms(4000),
        envelope::request(AmaCommand::KeepAlive, Payload::KeepAlive(KeepAlive {})),
        &mut out,
    );
    s.tick(ms(5020), &mut out);
    let e = envelopes(&out);
    assert_eq!(
        e.last().unwrap().payload,
        Some(Payload::StopSpeech(StopSpeech {
            error_code: ErrorCode::Internal as i32,
            dialog: Some(Dialog { id: 2 })
        }))
    );
    assert!(out.commands.contains(&Command::End {
        stream: 2,
        reason: EndReason::Stop
    }));
    assert_eq!(s.stats().speech_timeouts, 1);
}

#[test]
fn no_link_or_link_drop_ends_the_stream() {
    let mut s = Session::new(settings(), Box::new(MemoryStore::default()));
    let mut out = Output::default();
    s.on_outbound(ms(0), started(1, Initiator::Tap, None), &mut out);
    assert_eq!(
        out.commands,
        vec![Command::End {
            stream: 1,
            reason: EndReason::Stop
        }]
    );
    assert!(out.send.is_empty());
    s.on_outbound(
        ms(0),
        Outbound::StreamEnded {
            stream: 1,
            reason: EndReason::Stop,
            frames: 0,
        },
        &mut out,
    );

    let mut s = linked();
    start(&mut s, 5, Initiator::Tap, &mut out);
    answer_start(&mut s, ErrorCode::Success, 1, &mut out);
    out.clear();
    s.link_down(ms(40), &mut out);
    assert_eq!(
        out.commands,
        vec![Command::End {
            stream: 5,
            reason: EndReason::Stop
        }]
    );
    assert!(out.send.is_empty());
}

#[test]
fn sequence_gaps_are_counted() {
    let mut s = linked();
    let mut out = Output::default();
    start(&mut s, 1, Initiator::Tap, &mut out);
    answer_start(&mut s, ErrorCode::Success, 1, &mut out);
    for seq in [0, 1, 3] {
        s.on_outbound(ms(40), Outbound::Frame(frame(1, seq)), &mut out);
    }
    assert_eq!(s.stats().seq_gaps, 1);
}
