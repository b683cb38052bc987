"""Independent AMA decoder for tests/ama_independent.rs.

Compiles crates/ama-proto/proto/*.proto with grpcio-tools (Google's protoc, a different implementation from
protox/prost), then:
  decode: reads hex control-frame payloads (one per line) on stdin and prints, per line, a JSON
          object {"json": <MessageToDict>, "reencoded": <hex of SerializeToString>}.
  encode: prints hex of a fixed set of phone-side envelopes built with the Python classes.
"""
import json
import os
import sys
import tempfile

from grpc_tools import protoc


def load(proto_dir):
    out = tempfile.mkdtemp(prefix="ama-pb-")
    files = sorted(f for f in os.listdir(proto_dir) if f.endswith(".proto"))
    rc = protoc.main(["protoc", f"-I{proto_dir}", f"--python_out={out}"] + files)
    if rc != 0:
        sys.exit(f"protoc failed ({rc})")
    sys.path.insert(0, out)
    import accessories_pb2  # noqa: E402

    return accessories_pb2


def main():
    mode, proto_dir = sys.argv[1], sys.argv[2]
    pb = load(proto_dir)
    from google.protobuf.json_format import MessageToDict

    def to_dict(msg):
        # Print zero-valued fields too (CLOSE_TALK is 0); the keyword changed name in 5.26.
        try:
            return MessageToDict(msg, preserving_proto_field_name=True,
                                 always_print_fields_with_no_presence=True)
        except TypeError:
            return MessageToDict(msg, preserving_proto_field_name=True,
                                 including_default_value_fields=True)

    if mode == "decode":
        for line in sys.stdin:
            line = line.strip()
            if not line:
                continue
            env = pb.ControlEnvelope()
            env.ParseFromString(bytes.fromhex(line))
            print(json.dumps({
                "json": to_dict(env),
                "reencoded": env.SerializeToString(deterministic=True).hex(),
            }))
    elif mode == "encode":
        import speech_pb2, state_pb2, system_pb2  # noqa: E401

        e = pb.ControlEnvelope(command=pb.PROVIDE_SPEECH)
        e.provide_speech.dialog.id = 0x80000005
        print(e.SerializeToString().hex())
        e = pb.ControlEnvelope(command=pb.SET_STATE)
        e.set_state.state.feature = 0x352
        e.set_state.state.boolean = False
        print(e.SerializeToString().hex())
        e = pb.ControlEnvelope(command=pb.ISSUE_MEDIA_CONTROL)
        e.issue_media_control.control = system_pb2.NEXT
        print(e.SerializeToString().hex())
        e = pb.ControlEnvelope(command=pb.START_SPEECH)
        e.response.error_code = 7  # BUSY
        print(e.SerializeToString().hex())
        e = pb.ControlEnvelope(command=pb.SYNCHRONIZE_SETTINGS)
        e.synchronize_settings.timestamp_hi = 0x18C
        e.synchronize_settings.timestamp_lo = 0x12345678
        print(e.SerializeToString().hex())
    else:
        sys.exit(f"unknown mode {mode}")


if __name__ == "__main__":
    main()
