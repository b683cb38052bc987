mod support;

use ama_engine::bluetooth::model::InterfaceVersion;
use serde_json::json;
use support::*;

#[test]
fn smoke() {
    let dir = tempfile::tempdir().expect("tmp");
    let mut mock = Mock::start();
    mock.add_paired("AA:BB:CC:00:00:01", "Phone");
    let engine = Engine::start(&mock, dir.path(), InterfaceVersion::V2);
    let mut c = engine.client();
    let ctx = c.command("context");
    println!("{ctx}");
    let id = id_in_context(&ctx, "Phone").expect("phone in context");
    c.ids("ConnectByDeviceIds", &[&id]);
    let ev = c.event("ConnectByDeviceIdsSucceeded");
    println!("{ev}");
    assert_eq!(
        mock.device_prop("AA:BB:CC:00:00:01", "Connected"),
        json!(true)
    );
}
