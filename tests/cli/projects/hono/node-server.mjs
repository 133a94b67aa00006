// Node: the app on @hono/node-server, over the file store the CLI writes (STORE_FILE), on PORT.
import { serve } from "@hono/node-server";
import { AppPasswords, fileStore } from "app-passwords";
import { makeApp } from "./app.js";

const appPasswords = new AppPasswords({ store: fileStore(process.env.STORE_FILE) });
serve({ fetch: makeApp(appPasswords).fetch, hostname: "127.0.0.1", port: Number(process.env.PORT) });
