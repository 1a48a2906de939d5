/** The NICs area's closed value sets (no TypeBox: the agent's XML builders import them too). */
export const NIC_MODELS = ["virtio", "e1000", "e1000e", "rtl8139"] as const;
export const NIC_MACVTAP_MODES = ["bridge", "vepa", "private", "passthrough"] as const;
export const NIC_LINK_STATES = ["up", "down"] as const;
/** The most queues a tap device has (the kernel's MAX_TAP_QUEUES). */
export const NIC_MAX_QUEUES = 256;
