module github.com/storybot/storybot

go 1.26
