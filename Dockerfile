# One image for the release, web and worker processes (see the Procfile).
# Node 24 LTS, maintained until April 2028: Node 20 reached its end of life
# in April 2026.
FROM node:24-bookworm-slim AS build
WORKDIR /app
COPY package.json package-lock.json ./
# chdb's native engine (~540 MB) comes in optional packages (@chdb/lib-*) and
# is loaded only when CLICKHOUSE_URL is unset; the image always talks to a
# ClickHouse server, so it leaves the engine out.
RUN npm ci --omit=optional --no-audit --no-fund
COPY tsconfig.json ./
COPY src ./src
COPY api ./api
COPY workers ./workers
COPY migrations ./migrations
# tsconfig.json: rootDir "." and outDir "dist", so src/release.ts becomes
# dist/src/release.js and the migrations land beside it in dist/migrations.
RUN npm run build

FROM node:24-bookworm-slim
ENV NODE_ENV=production
WORKDIR /app
COPY package.json package-lock.json ./
RUN npm ci --omit=dev --omit=optional --no-audit --no-fund && npm cache clean --force
COPY --from=build /app/dist ./dist
USER node
EXPOSE 3000
CMD ["node", "dist/api/main.js"]
