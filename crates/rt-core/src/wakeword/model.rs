//! One TFLite interpreter running a streaming microWakeWord model: int8 input of
//! `[1, stride, 40]` feature frames, one uint8 (or int8) probability out. The model keeps its
//! streaming state in resource variables inside the interpreter; the only way to clear them is
//! a new interpreter ([`StreamingModel::reload`]).

use std::ffi::{c_void, CString};
use std::path::{Path, PathBuf};
use std::ptr::NonNull;
use std::sync::Arc;

use dsp::features::NUM_CHANNELS;

use super::ffi::{self, Api, TfLiteInterpreter, TfLiteModel, TfLiteTensor};
use super::WakeWordError;

/// The model file, its interpreter and its tensors.
pub struct StreamingModel {
    api: Arc<Api>,
    path: PathBuf,
    model: NonNull<TfLiteModel>,
    interpreter: NonNull<TfLiteInterpreter>,
    input: NonNull<TfLiteTensor>,
    output: NonNull<TfLiteTensor>,
    /// Feature frames per invocation (the input tensor's second dimension).
    stride: usize,
    input_quant: ffi::TfLiteQuantizationParams,
    output_quant: ffi::TfLiteQuantizationParams,
    output_signed: bool,
}

// SAFETY: the TFLite model and interpreter are plain heap objects without thread affinity; a
// `StreamingModel` owns them exclusively (no aliases escape) and `&mut self` serialises every
// call, so moving it to another thread is sound. It is not `Sync`.
unsafe impl Send for StreamingModel {}

impl std::fmt::Debug for StreamingModel {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("StreamingModel")
            .field("path", &self.path)
            .field("stride", &self.stride)
            .field("input_quant", &self.input_quant)
            .field("output_quant", &self.output_quant)
            .finish()
    }
}

fn model_err(path: &Path, message: impl Into<String>) -> WakeWordError {
    WakeWordError::Model {
        path: path.to_owned(),
        message: message.into(),
    }
}

/// Frees what was created so far when construction fails half-way.
struct Partial<'a> {
    api: &'a Api,
    model: *mut TfLiteModel,
    interpreter: *mut TfLiteInterpreter,
}

impl Drop for Partial<'_> {
    fn drop(&mut self) {
        if !self.interpreter.is_null() {
            // SAFETY: created by TfLiteInterpreterCreate, not yet owned by anything else.
            unsafe { (self.api.interpreter_delete)(self.interpreter) };
        }
        if !self.model.is_null() {
            // SAFETY: created by TfLiteModelCreateFromFile; its interpreter (if any) was
            // deleted just above, as the API requires.
            unsafe { (self.api.model_delete)(self.model) };
        }
    }
}

impl StreamingModel {
    /// Loads `path` (.tflite), builds a single-threaded interpreter and checks the tensors.
    /// Allocates; not real-time safe.
    pub fn load(api: Arc<Api>, path: &Path) -> Result<Self, WakeWordError> {
        let cpath = CString::new(path.as_os_str().as_encoded_bytes())
            .map_err(|_| model_err(path, "path contains a NUL byte"))?;
        if !path.is_file() {
            return Err(model_err(path, "no such file"));
        }
        let mut partial = Partial {
            api: &api,
            model: std::ptr::null_mut(),
            interpreter: std::ptr::null_mut(),
        };
        // SAFETY: `cpath` is a valid NUL-terminated string that outlives the call; the
        // function copies what it needs (it maps the file) and returns null on failure.
        partial.model = unsafe { (api.model_create_from_file)(cpath.as_ptr()) };
        if partial.model.is_null() {
            return Err(model_err(
                path,
                "TfLiteModelCreateFromFile failed (not a TFLite model?)",
            ));
        }
        // SAFETY: no preconditions; returns null on allocation failure.
        let options = unsafe { (api.options_create)() };
        if options.is_null() {
            return Err(model_err(path, "cannot create interpreter options"));
        }
        // SAFETY: `options` is a live options object (checked non-null above).
        unsafe { (api.options_set_num_threads)(options, 1) };
        // SAFETY: `partial.model` and `options` are live; the interpreter keeps its own copy
        // of the options, so deleting them right after is allowed by the API.
        partial.interpreter = unsafe { (api.interpreter_create)(partial.model, options) };
        // SAFETY: `options` is live and no longer needed (see above).
        unsafe { (api.options_delete)(options) };
        if partial.interpreter.is_null() {
            return Err(model_err(
                path,
                "TfLiteInterpreterCreate failed (unsupported ops?)",
            ));
        }
        // SAFETY: live interpreter.
        if unsafe { (api.allocate_tensors)(partial.interpreter) } != ffi::K_TFLITE_OK {
            return Err(model_err(path, "AllocateTensors failed"));
        }
        // SAFETY: live interpreter with allocated tensors; index 0 exists for any model with
        // an input (null otherwise, checked).
        let input = NonNull::new(unsafe { (api.get_input_tensor)(partial.interpreter, 0) })
            .ok_or_else(|| model_err(path, "model has no input tensor"))?;
        // SAFETY: as above, for the output.
        let output =
            NonNull::new(unsafe { (api.get_output_tensor)(partial.interpreter, 0) }.cast_mut())
                .ok_or_else(|| model_err(path, "model has no output tensor"))?;

        let t = |x: NonNull<TfLiteTensor>| x.as_ptr().cast_const();
        // SAFETY: for the tensor queries below, `input` and `output` are live tensors of the live
        // interpreter; the accessors only read them.
        let (in_type, out_type, dims, in_bytes, out_bytes, input_quant, output_quant) = unsafe {
            let n = (api.tensor_num_dims)(t(input));
            let dims: Vec<i32> = (0..n).map(|i| (api.tensor_dim)(t(input), i)).collect();
            (
                (api.tensor_type)(t(input)),
                (api.tensor_type)(t(output)),
                dims,
                (api.tensor_byte_size)(t(input)),
                (api.tensor_byte_size)(t(output)),
                (api.tensor_quantization_params)(t(input)),
                (api.tensor_quantization_params)(t(output)),
            )
        };
        if in_type != ffi::K_TFLITE_INT8 {
            return Err(model_err(
                path,
                format!("input type {in_type}, expected int8 (9)"),
            ));
        }
        if out_type != ffi::K_TFLITE_UINT8 && out_type != ffi::K_TFLITE_INT8 {
            return Err(model_err(
                path,
                format!("output type {out_type}, expected uint8/int8"),
            ));
        }
        let stride = match dims.as_slice() {
            [1, s, c] if *c as usize == NUM_CHANNELS && (1..=16).contains(s) => *s as usize,
            _ => {
                return Err(model_err(
                    path,
                    format!("input shape {dims:?}, expected [1, stride, {NUM_CHANNELS}]"),
                ))
            }
        };
        if in_bytes != stride * NUM_CHANNELS || out_bytes != 1 {
            return Err(model_err(
                path,
                format!("tensor sizes {in_bytes}/{out_bytes} bytes do not match the shapes"),
            ));
        }
        if !(input_quant.scale.is_finite() && input_quant.scale > 0.0) {
            return Err(model_err(path, "input tensor is not quantised"));
        }
        let (model, interpreter) = (partial.model, partial.interpreter);
        std::mem::forget(partial);
        Ok(Self {
            api,
            path: path.to_owned(),
            // SAFETY: both checked non-null above.
            model: unsafe { NonNull::new_unchecked(model) },
            // SAFETY: as above.
            interpreter: unsafe { NonNull::new_unchecked(interpreter) },
            input,
            output,
            stride,
            input_quant,
            output_quant,
            output_signed: out_type == ffi::K_TFLITE_INT8,
        })
    }

    /// Feature frames per invocation.
    pub fn stride(&self) -> usize {
        self.stride
    }

    /// The input tensor's quantisation (scale, zero point).
    pub fn input_quantization(&self) -> (f32, i32) {
        (self.input_quant.scale, self.input_quant.zero_point)
    }

    /// Runs one step on `stride * 40` quantised features and returns the probability (0..1).
    /// Real-time safety is what `wakeword_alloc` (rt-core's tests) measures: it allocates nothing
    /// after the first few calls with the runtime in models/ (see ARCHITECTURE.md).
    pub fn invoke(&mut self, input: &[i8]) -> Result<f32, WakeWordError> {
        if input.len() != self.stride * NUM_CHANNELS {
            return Err(WakeWordError::Invoke);
        }
        // SAFETY: the input tensor is live and `input` holds exactly its byte size (checked
        // above and at load); the call copies the bytes.
        let st = unsafe {
            (self.api.tensor_copy_from_buffer)(
                self.input.as_ptr(),
                input.as_ptr().cast::<c_void>(),
                input.len(),
            )
        };
        if st != ffi::K_TFLITE_OK {
            return Err(WakeWordError::Invoke);
        }
        // SAFETY: live interpreter with allocated tensors; `&mut self` excludes concurrent use.
        if unsafe { (self.api.invoke)(self.interpreter.as_ptr()) } != ffi::K_TFLITE_OK {
            return Err(WakeWordError::Invoke);
        }
        let mut out = [0u8; 1];
        // SAFETY: the output tensor is live and exactly one byte (checked at load).
        let st = unsafe {
            (self.api.tensor_copy_to_buffer)(
                self.output.as_ptr().cast_const(),
                out.as_mut_ptr().cast::<c_void>(),
                1,
            )
        };
        if st != ffi::K_TFLITE_OK {
            return Err(WakeWordError::Invoke);
        }
        let q = if self.output_signed {
            i32::from(out[0] as i8)
        } else {
            i32::from(out[0])
        };
        Ok((q - self.output_quant.zero_point) as f32 * self.output_quant.scale)
    }

    /// A fresh interpreter for the same model (clears the streaming state, which lives in
    /// resource variables that TfLiteInterpreterResetVariableTensors does not touch).
    /// Allocates; not real-time safe.
    pub fn reload(&mut self) -> Result<(), WakeWordError> {
        let fresh = Self::load(Arc::clone(&self.api), &self.path)?;
        *self = fresh;
        Ok(())
    }
}

impl Drop for StreamingModel {
    fn drop(&mut self) {
        // SAFETY: we own both objects; the interpreter is deleted before its model, as the
        // API requires, and neither is used afterwards.
        unsafe {
            (self.api.interpreter_delete)(self.interpreter.as_ptr());
            (self.api.model_delete)(self.model.as_ptr());
        }
    }
}
