//! The TensorFlow Lite C API, loaded at run time with dlopen (libloading). The only file that
//! declares TFLite symbols; [`super::model`] is the only user.
//!
//! Declarations follow tensorflow/lite/core/c/c_api.h and c_api_types.h (TF 2.x), which the
//! runtime shipped in the pymicro-wakeword wheel exports with C linkage.

use std::ffi::{c_char, c_int, c_void, CStr};
use std::path::Path;

use super::WakeWordError;

/// Opaque `TfLiteModel`.
#[repr(C)]
pub struct TfLiteModel {
    _private: [u8; 0],
}
/// Opaque `TfLiteInterpreterOptions`.
#[repr(C)]
pub struct TfLiteInterpreterOptions {
    _private: [u8; 0],
}
/// Opaque `TfLiteInterpreter`.
#[repr(C)]
pub struct TfLiteInterpreter {
    _private: [u8; 0],
}
/// Opaque `TfLiteTensor` (only reached through accessor functions).
#[repr(C)]
pub struct TfLiteTensor {
    _private: [u8; 0],
}

/// `TfLiteQuantizationParams`: real = scale * (q - zero_point).
#[repr(C)]
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct TfLiteQuantizationParams {
    pub scale: f32,
    pub zero_point: i32,
}

/// `TfLiteStatus` (`kTfLiteOk` is 0).
pub type TfLiteStatus = c_int;
/// `kTfLiteOk`.
pub const K_TFLITE_OK: TfLiteStatus = 0;
/// `TfLiteType` values we accept.
pub const K_TFLITE_UINT8: c_int = 3;
/// `kTfLiteInt8`.
pub const K_TFLITE_INT8: c_int = 9;

/// The entry points we use, resolved once. The library stays loaded as long as this lives.
pub struct Api {
    pub version: unsafe extern "C" fn() -> *const c_char,
    pub model_create_from_file: unsafe extern "C" fn(*const c_char) -> *mut TfLiteModel,
    pub model_delete: unsafe extern "C" fn(*mut TfLiteModel),
    pub options_create: unsafe extern "C" fn() -> *mut TfLiteInterpreterOptions,
    pub options_set_num_threads: unsafe extern "C" fn(*mut TfLiteInterpreterOptions, i32),
    pub options_delete: unsafe extern "C" fn(*mut TfLiteInterpreterOptions),
    pub interpreter_create: unsafe extern "C" fn(
        *const TfLiteModel,
        *const TfLiteInterpreterOptions,
    ) -> *mut TfLiteInterpreter,
    pub interpreter_delete: unsafe extern "C" fn(*mut TfLiteInterpreter),
    pub allocate_tensors: unsafe extern "C" fn(*mut TfLiteInterpreter) -> TfLiteStatus,
    pub invoke: unsafe extern "C" fn(*mut TfLiteInterpreter) -> TfLiteStatus,
    pub get_input_tensor: unsafe extern "C" fn(*const TfLiteInterpreter, i32) -> *mut TfLiteTensor,
    pub get_output_tensor:
        unsafe extern "C" fn(*const TfLiteInterpreter, i32) -> *const TfLiteTensor,
    pub tensor_type: unsafe extern "C" fn(*const TfLiteTensor) -> c_int,
    pub tensor_num_dims: unsafe extern "C" fn(*const TfLiteTensor) -> i32,
    pub tensor_dim: unsafe extern "C" fn(*const TfLiteTensor, i32) -> i32,
    pub tensor_byte_size: unsafe extern "C" fn(*const TfLiteTensor) -> usize,
    pub tensor_quantization_params:
        unsafe extern "C" fn(*const TfLiteTensor) -> TfLiteQuantizationParams,
    pub tensor_copy_from_buffer:
        unsafe extern "C" fn(*mut TfLiteTensor, *const c_void, usize) -> TfLiteStatus,
    pub tensor_copy_to_buffer:
        unsafe extern "C" fn(*const TfLiteTensor, *mut c_void, usize) -> TfLiteStatus,
    // Last field: dropped after the function pointers are no longer reachable.
    _lib: libloading::Library,
}

impl std::fmt::Debug for Api {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Api")
            .field("version", &self.version_string())
            .finish()
    }
}

/// Resolves `name` in `lib` as a function pointer of type `T`.
///
/// # Safety
/// `T` must be the exact `extern "C"` signature of the symbol.
unsafe fn symbol<T: Copy>(
    lib: &libloading::Library,
    path: &Path,
    name: &str,
) -> Result<T, WakeWordError> {
    let mut cname = Vec::with_capacity(name.len() + 1);
    cname.extend_from_slice(name.as_bytes());
    cname.push(0);
    // SAFETY: the caller guarantees `T` matches the symbol's C signature; the returned copy of
    // the pointer is only used while `Api` keeps `lib` loaded (the pointers and the library
    // live in the same struct, and the library is dropped last).
    let sym = unsafe { lib.get::<T>(&cname) }.map_err(|e| WakeWordError::Runtime {
        path: path.to_owned(),
        message: format!("missing symbol {name}: {e}"),
    })?;
    Ok(*sym)
}

impl Api {
    /// Loads the runtime library at `path` and resolves the API. Not real-time safe.
    pub fn load(path: &Path) -> Result<Self, WakeWordError> {
        // SAFETY: loading a library runs its initialisers. libtensorflowlite_c's initialisers
        // only register kernels and have no preconditions; the path is the operator's choice
        // (config), the same trust as the engine binary itself.
        let lib =
            unsafe { libloading::Library::new(path) }.map_err(|e| WakeWordError::Runtime {
                path: path.to_owned(),
                message: e.to_string(),
            })?;
        // SAFETY: for all `symbol` calls below, each type is the C signature from
        // tensorflow/lite/core/c/c_api.h for that name.
        unsafe {
            Ok(Self {
                version: symbol(&lib, path, "TfLiteVersion")?,
                model_create_from_file: symbol(&lib, path, "TfLiteModelCreateFromFile")?,
                model_delete: symbol(&lib, path, "TfLiteModelDelete")?,
                options_create: symbol(&lib, path, "TfLiteInterpreterOptionsCreate")?,
                options_set_num_threads: symbol(
                    &lib,
                    path,
                    "TfLiteInterpreterOptionsSetNumThreads",
                )?,
                options_delete: symbol(&lib, path, "TfLiteInterpreterOptionsDelete")?,
                interpreter_create: symbol(&lib, path, "TfLiteInterpreterCreate")?,
                interpreter_delete: symbol(&lib, path, "TfLiteInterpreterDelete")?,
                allocate_tensors: symbol(&lib, path, "TfLiteInterpreterAllocateTensors")?,
                invoke: symbol(&lib, path, "TfLiteInterpreterInvoke")?,
                get_input_tensor: symbol(&lib, path, "TfLiteInterpreterGetInputTensor")?,
                get_output_tensor: symbol(&lib, path, "TfLiteInterpreterGetOutputTensor")?,
                tensor_type: symbol(&lib, path, "TfLiteTensorType")?,
                tensor_num_dims: symbol(&lib, path, "TfLiteTensorNumDims")?,
                tensor_dim: symbol(&lib, path, "TfLiteTensorDim")?,
                tensor_byte_size: symbol(&lib, path, "TfLiteTensorByteSize")?,
                tensor_quantization_params: symbol(&lib, path, "TfLiteTensorQuantizationParams")?,
                tensor_copy_from_buffer: symbol(&lib, path, "TfLiteTensorCopyFromBuffer")?,
                tensor_copy_to_buffer: symbol(&lib, path, "TfLiteTensorCopyToBuffer")?,
                _lib: lib,
            })
        }
    }

    /// The runtime's version string (e.g. "2.18.0").
    pub fn version_string(&self) -> String {
        // SAFETY: TfLiteVersion takes no arguments and returns a pointer to a static,
        // NUL-terminated string (or null, handled).
        let p = unsafe { (self.version)() };
        if p.is_null() {
            return String::from("unknown");
        }
        // SAFETY: non-null, NUL-terminated, static storage (see above).
        unsafe { CStr::from_ptr(p) }.to_string_lossy().into_owned()
    }
}
