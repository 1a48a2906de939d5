import { Type } from "@sinclair/typebox";
import { obj } from "../../../policy-primitives/schema-builders.js";

const pages = (size: string) =>
  Type.Integer({ minimum: 0, maximum: 16_777_216, description: `Persistent ${size} hugepages to reserve.` });

/** `host.hugepages` as a policy writes it: page size → count. */
export const HOST_HUGEPAGES_DOCUMENT_FIELDS = {
  hugepages: obj({ "2MiB": pages("2MiB"), "1GiB": pages("1GiB") }, [], {
    description:
      "Hugepages reserved on the host (repair: write /sys/kernel/mm/hugepages/hugepages-<kB>kB/nr_hugepages). Default: not managed.",
  }),
};

/** The resolved counts a bundle carries: only the sizes the policies set. */
export const HostHugepagesSpecSchema = Type.Object({
  "2MiB": Type.Optional(Type.Integer({ minimum: 0 })),
  "1GiB": Type.Optional(Type.Integer({ minimum: 0 })),
});
