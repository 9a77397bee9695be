/* driver.c: runs GKeyFile operations read from stdin and prints the
 * results, so that keyfile_golden_test.go -update can capture GLib's
 * behaviour. Not part of the Go build (it lives under testdata/).
 *
 * Protocol: one command per line, fields separated by TAB. Inside a
 * field, \\ \t \n \r are backslash escapes; output uses the same escapes.
 *
 *   new
 *   load <keep|strip> <data>        -> "ok" or "error <message>"
 *   set_value <group> <key> <raw>
 *   set_string <group> <key> <string>
 *   set_boolean <group> <key> <true|false>
 *   set_string_list <group> <key> [<item>...]
 *   remove_key <group> <key>
 *   remove_group <group>
 *   dump                            -> "dump <g_key_file_to_data output>"
 *   reads                           -> read results, then "end"
 *
 * keep loads with G_KEY_FILE_KEEP_COMMENTS | G_KEY_FILE_KEEP_TRANSLATIONS,
 * strip with G_KEY_FILE_KEEP_TRANSLATIONS only.
 */
#include <glib.h>
#include <stdio.h>
#include <string.h>

static char *
unescape (const char *s)
{
  GString *out = g_string_new (NULL);
  for (; *s; s++)
    {
      if (*s == '\\' && s[1])
        {
          s++;
          switch (*s)
            {
            case 't': g_string_append_c (out, '\t'); break;
            case 'n': g_string_append_c (out, '\n'); break;
            case 'r': g_string_append_c (out, '\r'); break;
            default: g_string_append_c (out, *s); break;
            }
        }
      else
        g_string_append_c (out, *s);
    }
  return g_string_free (out, FALSE);
}

static void
put (const char *s)
{
  for (; *s; s++)
    {
      switch (*s)
        {
        case '\\': fputs ("\\\\", stdout); break;
        case '\t': fputs ("\\t", stdout); break;
        case '\n': fputs ("\\n", stdout); break;
        case '\r': fputs ("\\r", stdout); break;
        default: putchar (*s); break;
        }
    }
}

static void
put_fields (const char *kind, const char *g, const char *k)
{
  fputs (kind, stdout);
  putchar ('\t');
  put (g);
  if (k)
    {
      putchar ('\t');
      put (k);
    }
}

static void
reads (GKeyFile *kf)
{
  gsize ngroups = 0;
  gchar **groups = g_key_file_get_groups (kf, &ngroups);
  for (gsize i = 0; i < ngroups; i++)
    {
      const char *g = groups[i];
      gchar **keys = g_key_file_get_keys (kf, g, NULL, NULL);
      GHashTable *seen = g_hash_table_new (g_str_hash, g_str_equal);
      put_fields ("group", g, NULL);
      putchar ('\n');
      for (gchar **kp = keys; kp && *kp; kp++)
        {
          const char *k = *kp;
          GError *err = NULL;
          if (g_hash_table_contains (seen, k))
            continue;
          g_hash_table_add (seen, (gpointer) k);

          gchar *v = g_key_file_get_value (kf, g, k, NULL);
          put_fields ("value", g, k);
          putchar ('\t');
          put (v);
          putchar ('\n');
          g_free (v);

          gchar *s = g_key_file_get_string (kf, g, k, &err);
          put_fields ("string", g, k);
          if (err == NULL)
            {
              fputs ("\tok\t", stdout);
              put (s);
            }
          else
            fputs ("\terror", stdout);
          putchar ('\n');
          g_clear_error (&err);
          g_free (s);

          gsize n = 0;
          gchar **list = g_key_file_get_string_list (kf, g, k, &n, &err);
          put_fields ("list", g, k);
          if (err == NULL)
            {
              fputs ("\tok", stdout);
              for (gsize j = 0; j < n; j++)
                {
                  putchar ('\t');
                  put (list[j]);
                }
            }
          else
            fputs ("\terror", stdout);
          putchar ('\n');
          g_clear_error (&err);
          g_strfreev (list);

          gboolean b = g_key_file_get_boolean (kf, g, k, &err);
          put_fields ("bool", g, k);
          if (err == NULL)
            printf ("\tok\t%s", b ? "true" : "false");
          else
            fputs ("\terror", stdout);
          putchar ('\n');
          g_clear_error (&err);

          gint64 iv = g_key_file_get_int64 (kf, g, k, &err);
          put_fields ("int64", g, k);
          if (err == NULL)
            printf ("\tok\t%" G_GINT64_FORMAT, iv);
          else
            fputs ("\terror", stdout);
          putchar ('\n');
          g_clear_error (&err);
        }
      g_hash_table_unref (seen);
      g_strfreev (keys);
    }
  g_strfreev (groups);
  puts ("end");
}

int
main (void)
{
  GKeyFile *kf = g_key_file_new ();
  char *line = NULL;
  size_t cap = 0;
  ssize_t n;

  while ((n = getline (&line, &cap, stdin)) > 0)
    {
      if (line[n - 1] == '\n')
        line[--n] = '\0';
      gchar **raw = g_strsplit (line, "\t", -1);
      guint nf = g_strv_length (raw);
      gchar **f = g_new0 (gchar *, nf + 1);
      for (guint i = 0; i < nf; i++)
        f[i] = unescape (raw[i]);
      g_strfreev (raw);

      const char *cmd = f[0];
      if (strcmp (cmd, "new") == 0)
        {
          g_key_file_unref (kf);
          kf = g_key_file_new ();
        }
      else if (strcmp (cmd, "load") == 0 && nf == 3)
        {
          GKeyFileFlags flags = G_KEY_FILE_KEEP_TRANSLATIONS;
          GError *err = NULL;
          if (strcmp (f[1], "keep") == 0)
            flags |= G_KEY_FILE_KEEP_COMMENTS;
          g_key_file_unref (kf);
          kf = g_key_file_new ();
          if (f[2][0] == '\0' || g_key_file_load_from_data (kf, f[2], strlen (f[2]), flags, &err))
            puts ("ok");
          else
            {
              fputs ("error\t", stdout);
              put (err->message);
              putchar ('\n');
              g_clear_error (&err);
            }
        }
      else if (strcmp (cmd, "set_value") == 0 && nf == 4)
        g_key_file_set_value (kf, f[1], f[2], f[3]);
      else if (strcmp (cmd, "set_string") == 0 && nf == 4)
        g_key_file_set_string (kf, f[1], f[2], f[3]);
      else if (strcmp (cmd, "set_boolean") == 0 && nf == 4)
        g_key_file_set_boolean (kf, f[1], f[2], strcmp (f[3], "true") == 0);
      else if (strcmp (cmd, "set_string_list") == 0 && nf >= 3)
        g_key_file_set_string_list (kf, f[1], f[2], (const gchar * const *) f + 3, nf - 3);
      else if (strcmp (cmd, "remove_key") == 0 && nf == 3)
        g_key_file_remove_key (kf, f[1], f[2], NULL);
      else if (strcmp (cmd, "remove_group") == 0 && nf == 2)
        g_key_file_remove_group (kf, f[1], NULL);
      else if (strcmp (cmd, "dump") == 0)
        {
          gchar *data = g_key_file_to_data (kf, NULL, NULL);
          fputs ("dump\t", stdout);
          put (data);
          putchar ('\n');
          g_free (data);
        }
      else if (strcmp (cmd, "reads") == 0)
        reads (kf);
      else
        {
          fprintf (stderr, "driver: bad command: %s\n", line);
          return 2;
        }
      g_strfreev (f);
      fflush (stdout);
    }
  free (line);
  g_key_file_unref (kf);
  return 0;
}
