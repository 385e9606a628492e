// Shared body of the wasm-bindgen smoke tests (included by tests/wasm_node.rs and tests/wasm_browser.rs).

use js_sys::{Object, Reflect};
use rampwire_lp::LpClient;
use wasm_bindgen::prelude::*;
use wasm_bindgen_futures::JsFuture;
use wasm_bindgen_test::*;

fn options(pairs: &[(&str, JsValue)]) -> JsValue {
    let o = Object::new();
    for (k, v) in pairs {
        Reflect::set(&o, &(*k).into(), v).unwrap();
    }
    o.into()
}

fn field(v: &JsValue, k: &str) -> JsValue {
    Reflect::get(v, &k.into()).unwrap()
}

#[wasm_bindgen_test]
fn constructs_idle_with_an_empty_book() {
    let c = LpClient::new(options(&[
        ("apiUrl", "https://api.rampwire.app".into()),
        ("lpKey", "lp_a1b2c3d4".into()),
        ("currencies", js_sys::Array::of1(&"KES".into()).into()),
    ]))
    .unwrap();
    assert_eq!(c.state(), "idle");
    assert_eq!(c.open_orders().length(), 0);
    assert_eq!(c.lp_id(), None);
    c.close();
    assert_eq!(c.state(), "closed");
}

#[wasm_bindgen_test]
fn bad_options_throw_a_typed_error_without_the_key() {
    let err = LpClient::new(options(&[
        ("apiUrl", "http://api.rampwire.app".into()),
        ("lpKey", "lp_secret123".into()),
    ]))
    .err()
    .expect("insecure non-loopback URL is refused");
    assert_eq!(field(&err, "name"), "LpError");
    assert_eq!(field(&err, "kind"), "invalid_argument");
    let msg = field(&err, "message").as_string().unwrap();
    assert!(msg.contains("allowInsecure") && !msg.contains("lp_secret123"), "{msg}");
    assert!(err.is_instance_of::<js_sys::Error>());
}

#[wasm_bindgen_test]
async fn socket_claim_while_idle_rejects_with_closed() {
    let c = LpClient::new(options(&[
        ("apiUrl", "https://api.rampwire.app".into()),
        ("lpKey", "lp_a1b2c3d4".into()),
    ]))
    .unwrap();
    let err = JsFuture::from(c.claim_ws(5.0)).await.unwrap_err();
    assert_eq!(field(&err, "kind"), "closed");
    let err = JsFuture::from(c.claim(-1.0)).await.unwrap_err();
    assert_eq!(field(&err, "kind"), "invalid_argument");
}

#[wasm_bindgen_test]
fn the_core_decodes_in_wasm() {
    use rampwire_lp::core::ServerMessage;
    assert_eq!(
        ServerMessage::decode(r#"{"type":"order_taken","order_id":10042}"#),
        Ok(ServerMessage::OrderTaken { order_id: 10042 })
    );
    assert!(ServerMessage::decode("{").is_err());
}
