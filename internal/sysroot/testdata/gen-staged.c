/* Writes staged-deployment fixtures with GLib's own GVariant builder, in
 * the shape libostree's stage code gives them (see README.md).
 * Build: cc gen-staged.c $(pkg-config --cflags --libs glib-2.0) */
#include <glib.h>
#include <stdio.h>

static GVariant *
deployment (const char *name, const char *osname, const char *bootcsum)
{
  GVariantBuilder b;
  g_variant_builder_init (&b, G_VARIANT_TYPE ("a{sv}"));
  g_variant_builder_add (&b, "{sv}", "name", g_variant_new_string (name));
  g_variant_builder_add (&b, "{sv}", "osname", g_variant_new_string (osname));
  g_variant_builder_add (&b, "{sv}", "bootcsum", g_variant_new_string (bootcsum));
  return g_variant_builder_end (&b);
}

static void
save (const char *path, GVariant *v)
{
  g_autoptr(GVariant) sunk = g_variant_ref_sink (v);
  g_autoptr(GError) error = NULL;
  if (!g_file_set_contents (path, g_variant_get_data (sunk), g_variant_get_size (sunk), &error))
    g_error ("%s", error->message);
}

#define T "a1b2c3d4e5f60718293a4b5c6d7e8f90a1b2c3d4e5f60718293a4b5c6d7e8f90"
#define M "0f1e2d3c4b5a69788796a5b4c3d2e1f00f1e2d3c4b5a69788796a5b4c3d2e1f0"
#define B "5555555555555555555555555555555555555555555555555555555555555555"

int
main (void)
{
  /* Target only: what an upgrade stages without a merge deployment. */
  GVariantBuilder b;
  g_variant_builder_init (&b, G_VARIANT_TYPE ("a{sv}"));
  g_variant_builder_add (&b, "{sv}", "target", deployment (T ".0", "testos", B));
  save ("staged-target.gvariant", g_variant_builder_end (&b));

  /* Everything: merge deployment, kernel arguments, overlay initrds. */
  const char *kargs[] = { "root=LABEL=MOO", "quiet", "console=ttyS0", NULL };
  const char *initrds[] = { B, NULL };
  g_variant_builder_init (&b, G_VARIANT_TYPE ("a{sv}"));
  g_variant_builder_add (&b, "{sv}", "target", deployment (T ".1", "testos", B));
  g_variant_builder_add (&b, "{sv}", "merge-deployment", deployment (M ".0", "testos", B));
  g_variant_builder_add (&b, "{sv}", "kargs", g_variant_new_strv (kargs, -1));
  g_variant_builder_add (&b, "{sv}", "overlay-initrds", g_variant_new_strv (initrds, -1));
  save ("staged-full.gvariant", g_variant_builder_end (&b));
  return 0;
}
