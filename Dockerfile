# Purse in a container: built with dev dependencies, run with production ones
# only, as the unprivileged `node` user. test/deploy/dockerfile.test.ts runs these
# same steps (RUN, COPY, ENV, CMD, HEALTHCHECK) in a clean clone, since the test
# machine has no Docker engine.

FROM node:20-bookworm AS build
WORKDIR /app
COPY package.json package-lock.json ./
COPY web/package.json web/
RUN npm ci
COPY . .
RUN npm run build
# Keep only what runs: dev dependencies go, better-sqlite3 stays built for this image's Node.
RUN npm prune --omit=dev
RUN mkdir -p data

FROM node:20-bookworm-slim
ENV NODE_ENV=production \
    HOST=0.0.0.0 \
    PORT=3000 \
    PURSE_DATABASE_URL=sqlite:/data/purse.db
WORKDIR /app
COPY --from=build /app/package.json ./
COPY --from=build /app/node_modules node_modules
COPY --from=build /app/dist dist
COPY --from=build /app/web/dist web/dist
COPY --from=build /app/catalog catalog
COPY --from=build /app/bin bin
COPY --from=build --chown=node:node /app/data /data
USER node
VOLUME /data
EXPOSE 3000
HEALTHCHECK --interval=15s --timeout=5s --start-period=20s --retries=3 \
  CMD ["node", "-e", "fetch('http://127.0.0.1:' + (process.env.PORT || 3000) + '/readyz').then((r) => process.exit(r.ok ? 0 : 1), () => process.exit(1))"]
CMD ["node", "dist/main.js"]
