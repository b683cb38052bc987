//! Wake-word detector runtime: the TFLite C runtime behind the dsp crate's detector trait
//! (issue 3).
