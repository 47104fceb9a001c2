FROM ruby:3.3-slim
ENV BUNDLE_PATH="/usr/local/bundle" BUNDLE_DEPLOYMENT="1"
WORKDIR /rails
COPY Gemfile Gemfile.lock ./
RUN bundle install
