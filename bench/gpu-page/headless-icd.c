/*
 * A Vulkan ICD with no devices whose only purpose is to list the instance extensions VK_KHR_surface and
 * VK_EXT_headless_surface. ANGLE's Vulkan back end asks for VK_EXT_headless_surface under headless Chromium, and
 * NVIDIA's driver does not offer it; with this ICD listed beside NVIDIA's, the loader offers the extension, the
 * instance is created, and ANGLE picks NVIDIA's device (the only device there is). Surfaces are handled by the loader
 * (ICD interface version 2). Built on the GPU machine's architecture: gcc -shared -fPIC -O2 -o libheadless_icd.so.
 */
#include <stdlib.h>
#include <string.h>
#include <vulkan/vk_icd.h>
#include <vulkan/vulkan.h>

typedef struct {
  VK_LOADER_DATA loader; /* the loader writes its dispatch table here */
} FakeInstance;

static const VkExtensionProperties EXTENSIONS[] = {
    {VK_KHR_SURFACE_EXTENSION_NAME, 25},
    {VK_EXT_HEADLESS_SURFACE_EXTENSION_NAME, 1},
};

static VKAPI_ATTR VkResult VKAPI_CALL enumerateExtensions(const char *layer, uint32_t *count, VkExtensionProperties *out) {
  const uint32_t n = sizeof(EXTENSIONS) / sizeof(EXTENSIONS[0]);
  if (layer) {
    *count = 0;
    return VK_SUCCESS;
  }
  if (!out) {
    *count = n;
    return VK_SUCCESS;
  }
  uint32_t k = *count < n ? *count : n;
  memcpy(out, EXTENSIONS, k * sizeof(VkExtensionProperties));
  *count = k;
  return k < n ? VK_INCOMPLETE : VK_SUCCESS;
}

static VKAPI_ATTR VkResult VKAPI_CALL enumerateVersion(uint32_t *version) {
  *version = VK_API_VERSION_1_0;
  return VK_SUCCESS;
}

static VKAPI_ATTR VkResult VKAPI_CALL createInstance(const VkInstanceCreateInfo *info, const VkAllocationCallbacks *alloc,
                                                     VkInstance *instance) {
  (void)info;
  (void)alloc;
  FakeInstance *i = calloc(1, sizeof(FakeInstance));
  if (!i) return VK_ERROR_OUT_OF_HOST_MEMORY;
  set_loader_magic_value(i);
  *instance = (VkInstance)i;
  return VK_SUCCESS;
}

static VKAPI_ATTR void VKAPI_CALL destroyInstance(VkInstance instance, const VkAllocationCallbacks *alloc) {
  (void)alloc;
  free(instance);
}

static VKAPI_ATTR VkResult VKAPI_CALL enumerateDevices(VkInstance instance, uint32_t *count, VkPhysicalDevice *out) {
  (void)instance;
  (void)out;
  *count = 0;
  return VK_SUCCESS;
}

static VKAPI_ATTR void VKAPI_CALL destroySurface(VkInstance instance, VkSurfaceKHR surface, const VkAllocationCallbacks *a) {
  (void)instance;
  (void)surface;
  (void)a;
}

/* Every other entry point the loader asks for (it requires the core physical-device functions): never called, as
   there are no devices. */
static VKAPI_ATTR VkResult VKAPI_CALL unsupported(void) { return VK_ERROR_FEATURE_NOT_PRESENT; }

VKAPI_ATTR PFN_vkVoidFunction VKAPI_CALL vk_icdGetInstanceProcAddr(VkInstance instance, const char *name) {
  (void)instance;
  if (!strcmp(name, "vkEnumerateInstanceExtensionProperties")) return (PFN_vkVoidFunction)enumerateExtensions;
  if (!strcmp(name, "vkEnumerateInstanceVersion")) return (PFN_vkVoidFunction)enumerateVersion;
  if (!strcmp(name, "vkCreateInstance")) return (PFN_vkVoidFunction)createInstance;
  if (!strcmp(name, "vkDestroyInstance")) return (PFN_vkVoidFunction)destroyInstance;
  if (!strcmp(name, "vkEnumeratePhysicalDevices")) return (PFN_vkVoidFunction)enumerateDevices;
  if (!strcmp(name, "vkDestroySurfaceKHR")) return (PFN_vkVoidFunction)destroySurface;
  if (!strcmp(name, "vkGetInstanceProcAddr")) return (PFN_vkVoidFunction)vk_icdGetInstanceProcAddr;
  if (!strncmp(name, "vkCreate", 8) && strstr(name, "SurfaceKHR")) return NULL; /* surfaces: the loader's own */
  if (strstr(name, "SurfaceEXT")) return NULL;
  /* Debug messengers: a stub's error fails the loader's call for every driver (Dawn then found no adapter). */
  if (strstr(name, "DebugUtils") || strstr(name, "DebugReport")) return NULL;
  return (PFN_vkVoidFunction)unsupported;
}

VKAPI_ATTR VkResult VKAPI_CALL vk_icdNegotiateLoaderICDInterfaceVersion(uint32_t *version) {
  if (*version > 2) *version = 2;
  return VK_SUCCESS;
}
