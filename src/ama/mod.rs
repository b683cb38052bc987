//! Alexa Mobile Accessory: protocol, transport framing, session, links (issue 4).
