//! Feature front end for the wake-word detector (the TFLite-Micro audio front end that
//! microWakeWord models expect). Filled in by the wake-word work (issue 3).
