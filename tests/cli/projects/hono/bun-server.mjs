// Bun: the same app on Bun.serve, over the file store the CLI writes (STORE_FILE), on PORT.
import { AppPasswords, fileStore } from "app-passwords";
import { makeApp } from "./app.js";

const appPasswords = new AppPasswords({ store: fileStore(process.env.STORE_FILE) });
Bun.serve({ fetch: makeApp(appPasswords).fetch, hostname: "127.0.0.1", port: Number(process.env.PORT) });
